/**
 * FFTs for feature extraction. `RealFft` transforms a real frame of any even size as a complex FFT of half
 * the size plus a split step: radix-4 (`PowerOfTwoFft`) when the half size is a power of two (the Kaldi
 * frames), a mixed-radix `ComplexFft` otherwise (torchaudio's n_fft = 400). Twiddles are
 * precomputed once per size and the transforms allocate nothing, so per-frame loops can call them freely.
 */

/** Mixed-radix complex FFT (forward, e^{-2 pi i jk/n}) of any size, by recursive decimation in time. */
export class ComplexFft {
  readonly n: number;
  private readonly factors: number[];
  private readonly twr: Float64Array;
  private readonly twi: Float64Array;
  private readonly tr: Float64Array;
  private readonly ti: Float64Array;

  constructor(n: number) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`ComplexFft: size must be a positive integer, got ${n}`);
    this.n = n;
    this.factors = [];
    let rest = n;
    for (const f of [4, 2, 3, 5]) {
      while (rest % f === 0) {
        this.factors.push(f);
        rest /= f;
      }
    }
    for (let f = 7; rest > 1; f += 2) {
      while (rest % f === 0) {
        this.factors.push(f);
        rest /= f;
      }
    }
    if (this.factors.length === 0) this.factors.push(1);
    this.twr = new Float64Array(n);
    this.twi = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      this.twr[j] = Math.cos((2 * Math.PI * j) / n);
      this.twi[j] = -Math.sin((2 * Math.PI * j) / n);
    }
    const maxF = Math.max(...this.factors);
    this.tr = new Float64Array(maxF);
    this.ti = new Float64Array(maxF);
  }

  /** y = DFT(x); x and y must not alias. */
  transform(xr: ArrayLike<number>, xi: ArrayLike<number>, yr: Float64Array, yi: Float64Array): void {
    this.step(xr, xi, 0, 1, yr, yi, 0, this.n, 0);
  }

  private step(xr: ArrayLike<number>, xi: ArrayLike<number>, xo: number, stride: number, yr: Float64Array, yi: Float64Array, yo: number, n: number, f: number): void {
    const p = this.factors[f];
    const m = n / p;
    if (m === 1) {
      for (let q = 0; q < p; q++) {
        yr[yo + q] = xr[xo + q * stride];
        yi[yo + q] = xi[xo + q * stride];
      }
    } else {
      for (let q = 0; q < p; q++) this.step(xr, xi, xo + q * stride, stride * p, yr, yi, yo + q * m, m, f + 1);
    }
    if (p === 1) return;
    const N = this.n;
    const tstep = N / n;
    const { twr, twi, tr, ti } = this;
    if (p === 2) {
      for (let k = 0; k < m; k++) {
        const a = yo + k;
        const b = a + m;
        const w = k * tstep;
        const br = yr[b] * twr[w] - yi[b] * twi[w];
        const bi = yr[b] * twi[w] + yi[b] * twr[w];
        yr[b] = yr[a] - br;
        yi[b] = yi[a] - bi;
        yr[a] += br;
        yi[a] += bi;
      }
      return;
    }
    const pstep = N / p;
    for (let k = 0; k < m; k++) {
      for (let q = 0; q < p; q++) {
        const idx = yo + q * m + k;
        const w = (q * k * tstep) % N;
        tr[q] = yr[idx] * twr[w] - yi[idx] * twi[w];
        ti[q] = yr[idx] * twi[w] + yi[idx] * twr[w];
      }
      for (let q2 = 0; q2 < p; q2++) {
        let sr = 0;
        let si = 0;
        for (let q = 0; q < p; q++) {
          const w = ((q * q2) % p) * pstep;
          sr += tr[q] * twr[w] - ti[q] * twi[w];
          si += tr[q] * twi[w] + ti[q] * twr[w];
        }
        const idx = yo + q2 * m + k;
        yr[idx] = sr;
        yi[idx] = si;
      }
    }
  }
}

/**
 * Complex FFT of a power-of-two size: radix-4 stages (one radix-2 stage first when the size is 2 * 4^k),
 * in place on split re/im arrays after a mixed-radix digit-reversal permutation. About twice the speed
 * of plain radix-2 in V8: half the passes over memory, a quarter fewer multiplies.
 */
export class PowerOfTwoFft {
  readonly n: number;
  /** perm[i]: the input index that goes to position i. */
  readonly perm: Uint32Array;
  private readonly radices: number[];
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;

  constructor(n: number) {
    if (!Number.isInteger(n) || n < 1 || (n & (n - 1)) !== 0) throw new Error(`PowerOfTwoFft: size must be a power of two, got ${n}`);
    this.n = n;
    this.radices = [];
    let rest = n;
    while (rest % 4 === 0) {
      this.radices.push(4);
      rest /= 4;
    }
    if (rest === 2) this.radices.unshift(2); // outermost: runs last
    this.perm = new Uint32Array(n);
    const place = (o: number, start: number, stride: number, size: number, level: number): void => {
      if (size === 1) {
        this.perm[o] = start;
        return;
      }
      const p = this.radices[level];
      const m = size / p;
      for (let q = 0; q < p; q++) place(o + q * m, start + q * stride, stride * p, m, level + 1);
    };
    place(0, 0, 1, n, 0);
    this.cos = new Float64Array(n);
    this.sin = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      this.cos[k] = Math.cos((2 * Math.PI * k) / n);
      this.sin[k] = Math.sin((2 * Math.PI * k) / n);
    }
  }

  /**
   * Forward transform of z[k] = input[2k] + i input[2k+1] into (re, im): the permutation and the first
   * radix-4 stage in one pass, then the remaining stages.
   */
  transformPackedReal(input: ArrayLike<number>, re: Float64Array, im: Float64Array): void {
    const { perm, radices } = this;
    const n = this.n;
    if (radices[radices.length - 1] !== 4) {
      for (let k = 0; k < n; k++) {
        re[k] = input[2 * perm[k]];
        im[k] = input[2 * perm[k] + 1];
      }
      this.stages(re, im, radices.length - 1);
      return;
    }
    for (let g = 0; g < n; g += 4) {
      const a = 2 * perm[g], b = 2 * perm[g + 1], c = 2 * perm[g + 2], d = 2 * perm[g + 3];
      const r0 = input[a], i0 = input[a + 1], r1 = input[b], i1 = input[b + 1];
      const r2 = input[c], i2 = input[c + 1], r3 = input[d], i3 = input[d + 1];
      const s02r = r0 + r2, s02i = i0 + i2, d02r = r0 - r2, d02i = i0 - i2;
      const s13r = r1 + r3, s13i = i1 + i3, d13r = r1 - r3, d13i = i1 - i3;
      re[g] = s02r + s13r;
      im[g] = s02i + s13i;
      re[g + 1] = d02r + d13i;
      im[g + 1] = d02i - d13r;
      re[g + 2] = s02r - s13r;
      im[g + 2] = s02i - s13i;
      re[g + 3] = d02r - d13i;
      im[g + 3] = d02i + d13r;
    }
    this.stages(re, im, radices.length - 2, 4);
  }

  /** In-place forward transform of (re, im), which must already be in `perm` order. */
  transformPermuted(re: Float64Array, im: Float64Array): void {
    this.stages(re, im, this.radices.length - 1);
  }

  /** Runs the stages from `fromLevel` down to 0, the sub-transforms so far being of length `done`. */
  private stages(re: Float64Array, im: Float64Array, fromLevel: number, done = 1): void {
    const n = this.n;
    const { cos, sin, radices } = this;
    let L = done;
    for (let level = fromLevel; level >= 0; level--) {
      const p = radices[level];
      const M = L;
      L *= p;
      const tstep = n / L;
      if (p === 2) {
        for (let g = 0; g < n; g += L) {
          for (let j = 0; j < M; j++) {
            const a = g + j;
            const b = a + M;
            const t = j * tstep;
            const wr = cos[t];
            const wi = -sin[t];
            const br = re[b] * wr - im[b] * wi;
            const bi = re[b] * wi + im[b] * wr;
            re[b] = re[a] - br;
            im[b] = im[a] - bi;
            re[a] += br;
            im[a] += bi;
          }
        }
        continue;
      }
      if (M === 1) {
        for (let g = 0; g < n; g += 4) {
          const r0 = re[g], i0 = im[g], r1 = re[g + 1], i1 = im[g + 1], r2 = re[g + 2], i2 = im[g + 2], r3 = re[g + 3], i3 = im[g + 3];
          const s02r = r0 + r2, s02i = i0 + i2, d02r = r0 - r2, d02i = i0 - i2;
          const s13r = r1 + r3, s13i = i1 + i3, d13r = r1 - r3, d13i = i1 - i3;
          re[g] = s02r + s13r;
          im[g] = s02i + s13i;
          re[g + 1] = d02r + d13i;
          im[g + 1] = d02i - d13r;
          re[g + 2] = s02r - s13r;
          im[g + 2] = s02i - s13i;
          re[g + 3] = d02r - d13i;
          im[g + 3] = d02i + d13r;
        }
        continue;
      }
      for (let g = 0; g < n; g += L) {
        for (let j = 0; j < M; j++) {
          const i0 = g + j;
          const i1 = i0 + M;
          const i2 = i1 + M;
          const i3 = i2 + M;
          const t1 = j * tstep;
          const t2 = 2 * t1;
          const t3 = 3 * t1;
          const w1r = cos[t1], w1i = -sin[t1], w2r = cos[t2], w2i = -sin[t2], w3r = cos[t3], w3i = -sin[t3];
          const r0 = re[i0], i0v = im[i0];
          const x1r = re[i1], x1i = im[i1], x2r = re[i2], x2i = im[i2], x3r = re[i3], x3i = im[i3];
          const r1 = x1r * w1r - x1i * w1i, j1 = x1r * w1i + x1i * w1r;
          const r2 = x2r * w2r - x2i * w2i, j2 = x2r * w2i + x2i * w2r;
          const r3 = x3r * w3r - x3i * w3i, j3 = x3r * w3i + x3i * w3r;
          const s02r = r0 + r2, s02i = i0v + j2, d02r = r0 - r2, d02i = i0v - j2;
          const s13r = r1 + r3, s13i = j1 + j3, d13r = r1 - r3, d13i = j1 - j3;
          re[i0] = s02r + s13r;
          im[i0] = s02i + s13i;
          re[i1] = d02r + d13i;
          im[i1] = d02i - d13r;
          re[i2] = s02r - s13r;
          im[i2] = s02i - s13i;
          re[i3] = d02r - d13i;
          im[i3] = d02i + d13r;
        }
      }
    }
  }
}

/** Real-input FFT of an even size (see the file comment). */
export class RealFft {
  /** Transform length (number of real inputs). */
  readonly size: number;
  /** Number of output bins, size / 2 + 1. */
  readonly bins: number;
  private readonly half: number;
  /** cos/sin of 2*pi*k/size for k <= half (the real split twiddles). */
  private readonly cosS: Float64Array;
  private readonly sinS: Float64Array;
  private readonly zr: Float64Array;
  private readonly zi: Float64Array;
  private readonly pow2: PowerOfTwoFft | null;
  private readonly mixed: ComplexFft | null;
  private readonly packedRe: Float64Array;
  private readonly packedIm: Float64Array;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 4 || size % 2 !== 0) {
      throw new Error(`RealFft: size must be an even integer >= 4, got ${size}`);
    }
    this.size = size;
    this.half = size >> 1;
    this.bins = this.half + 1;
    const half = this.half;
    this.zr = new Float64Array(half);
    this.zi = new Float64Array(half);
    this.cosS = new Float64Array(half + 1);
    this.sinS = new Float64Array(half + 1);
    for (let k = 0; k <= half; k++) {
      this.cosS[k] = Math.cos((2 * Math.PI * k) / size);
      this.sinS[k] = Math.sin((2 * Math.PI * k) / size);
    }
    if ((half & (half - 1)) === 0) {
      this.pow2 = new PowerOfTwoFft(half);
      this.mixed = null;
      this.packedRe = this.packedIm = new Float64Array(0);
    } else {
      this.pow2 = null;
      this.mixed = new ComplexFft(half);
      this.packedRe = new Float64Array(half);
      this.packedIm = new Float64Array(half);
    }
  }

  /** Complex FFT of z = x[2n] + i x[2n+1], left in zr/zi. */
  private packedTransform(input: ArrayLike<number>): void {
    const { half, zr, zi } = this;
    if (this.pow2) {
      this.pow2.transformPackedReal(input, zr, zi);
      return;
    }
    const { packedRe, packedIm } = this;
    for (let k = 0; k < half; k++) {
      packedRe[k] = input[2 * k];
      packedIm[k] = input[2 * k + 1];
    }
    this.mixed!.transform(packedRe, packedIm, zr, zi);
  }

  /** Forward transform of `input` (length size) into `re`/`im` (length bins). */
  forward(input: ArrayLike<number>, re: Float64Array, im: Float64Array): void {
    this.packedTransform(input);
    const { half, zr, zi, cosS, sinS } = this;
    re[0] = zr[0] + zi[0];
    im[0] = 0;
    re[half] = zr[0] - zi[0];
    im[half] = 0;
    for (let k = 1; k < half; k++) {
      const ar = zr[k];
      const ai = zi[k];
      const br = zr[half - k];
      const bi = zi[half - k];
      const er = 0.5 * (ar + br);
      const ei = 0.5 * (ai - bi);
      const or = 0.5 * (ai + bi);
      const oi = -0.5 * (ar - br);
      const wr = cosS[k];
      const wi = -sinS[k];
      re[k] = er + wr * or - wi * oi;
      im[k] = ei + wr * oi + wi * or;
    }
  }

  /** |X[k]|^2 for k < bins, into `out` (length bins). */
  powerSpectrum(input: ArrayLike<number>, out: Float64Array): void {
    this.packedTransform(input);
    const { half, zr, zi, cosS, sinS } = this;
    const d0 = zr[0] + zi[0];
    const dn = zr[0] - zi[0];
    out[0] = d0 * d0;
    out[half] = dn * dn;
    for (let k = 1; k < half; k++) {
      const ar = zr[k];
      const ai = zi[k];
      const br = zr[half - k];
      const bi = zi[half - k];
      const er = 0.5 * (ar + br);
      const ei = 0.5 * (ai - bi);
      const or = 0.5 * (ai + bi);
      const oi = -0.5 * (ar - br);
      const wr = cosS[k];
      const wi = -sinS[k];
      const xr = er + wr * or - wi * oi;
      const xi = ei + wr * oi + wi * or;
      out[k] = xr * xr + xi * xi;
    }
  }
}

/** Smallest power of two >= n. */
export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p <<= 1;
  return p;
}
