/**
 * Band-limited resampling with a windowed-sinc kernel, matching torchaudio.functional.resample: the rates
 * are reduced by their gcd, the kernel has `new` phases of 2*width + orig taps, the input is zero-padded by
 * width on the left and width + orig on the right, and the output holds ceil(new * n / orig) samples.
 * `Resampler` does the same on a stream of chunks, so long recordings never need to be whole in memory;
 * `resample` is the one-shot form. A rate pair whose reduced table would pass MAX_TABLE_WEIGHTS (an odd
 * rate such as 44,101 Hz: 16,000 phases of 44,135 taps) is computed per output sample instead
 * (src/audio/resample-direct.ts), so the cost stays linear in the samples whatever the ratio.
 */
import { DirectSincResampler, appendSamples, besselI0 } from './resample-direct.ts';

export type ResamplingMethod = 'sinc_interp_hann' | 'sinc_interp_kaiser';

export interface ResampleOptions {
  lowpassFilterWidth: number;
  rolloff: number;
  method: ResamplingMethod;
  /** Kaiser window beta (only for sinc_interp_kaiser). */
  beta: number;
}

export const RESAMPLE_DEFAULTS: ResampleOptions = {
  lowpassFilterWidth: 6,
  rolloff: 0.99,
  method: 'sinc_interp_hann',
  beta: 14.769656459379492,
};

/** Largest polyphase table (phases x taps) built; beyond it the weights are computed per output sample. */
export const MAX_TABLE_WEIGHTS = 1 << 20;

export interface ResamplerOptions extends ResampleOptions {
  /** 'table': the polyphase table (torchaudio's float32 weights); 'direct': per-output weights; 'auto' picks by size. */
  kernel: 'auto' | 'table' | 'direct';
}

/** Phases and taps of the reduced table of a rate pair (torchaudio's geometry), without building it. */
export function tableSize(origFreq: number, newFreq: number, options: Partial<ResampleOptions> = {}): { phases: number; taps: number } {
  const o = { ...RESAMPLE_DEFAULTS, ...options };
  const g = gcd(origFreq, newFreq);
  const orig = origFreq / g;
  const target = newFreq / g;
  const width = Math.ceil((o.lowpassFilterWidth * orig) / (Math.min(orig, target) * o.rolloff));
  return { phases: target, taps: 2 * width + orig };
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

export interface SincKernel {
  /** Reduced rates. */
  orig: number;
  target: number;
  /** Zero padding on the left (and width + orig on the right). */
  width: number;
  /** Taps per phase: 2 * width + orig. */
  taps: number;
  /** weights[j * taps + k]: phase j, tap k. */
  weights: Float64Array;
  /** Per phase, the first and one-past-last non-zero tap. */
  first: Int32Array;
  last: Int32Array;
}

/**
 * The polyphase sinc kernel of torchaudio's _get_sinc_resample_kernel. For float32 input torchaudio builds
 * the kernel in float32, and the float32 rounding of t shifts the taps by up to ~1e-6; every step is rounded
 * to float32 here in the same order (Math.fround), which brings the output to within 1-2 ulp of torchaudio's.
 */
export function sincResampleKernel(origFreq: number, newFreq: number, options: Partial<ResampleOptions> = {}): SincKernel {
  const o = { ...RESAMPLE_DEFAULTS, ...options };
  if (!Number.isInteger(origFreq) || !Number.isInteger(newFreq) || origFreq <= 0 || newFreq <= 0) {
    throw new Error(`resample: rates must be positive integers, got ${origFreq} -> ${newFreq}`);
  }
  if (!(o.lowpassFilterWidth > 0)) throw new Error(`resample: lowpass filter width must be positive, got ${o.lowpassFilterWidth}`);
  const f = Math.fround;
  const g = gcd(origFreq, newFreq);
  const orig = origFreq / g;
  const target = newFreq / g;
  const baseFreq = Math.min(orig, target) * o.rolloff;
  const lw = o.lowpassFilterWidth;
  const width = Math.ceil((lw * orig) / baseFreq);
  const taps = 2 * width + orig;
  const weights = new Float64Array(target * taps);
  const first = new Int32Array(target);
  const last = new Int32Array(target);
  const base32 = f(baseFreq);
  const pi32 = f(Math.PI);
  const scale32 = f(baseFreq / orig);
  const i0Beta = besselI0(o.beta);
  for (let j = 0; j < target; j++) {
    let lo = taps;
    let hi = 0;
    const phase = f(-j / target);
    for (let k = 0; k < taps; k++) {
      let t = f(f(phase + f((k - width) / orig)) * base32);
      t = Math.max(-lw, Math.min(lw, t));
      let window: number;
      if (o.method === 'sinc_interp_hann') {
        const c = f(Math.cos(f(f(f(t * pi32) / lw) / 2)));
        window = f(c * c);
      } else {
        const r = f(t / lw);
        window = f(besselI0(o.beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0Beta);
      }
      const tp = f(t * pi32);
      const sinc = tp === 0 ? 1 : f(f(Math.sin(tp)) / tp);
      const w = f(sinc * f(window * scale32));
      weights[j * taps + k] = w;
      if (w !== 0) {
        lo = Math.min(lo, k);
        hi = k + 1;
      }
    }
    first[j] = lo <= hi ? lo : 0;
    last[j] = hi;
  }
  return { orig, target, width, taps, weights, first, last };
}

/** Number of output samples for `n` inputs: ceil(new * n / orig) on the reduced rates. */
export function resampledLength(n: number, origFreq: number, newFreq: number): number {
  const g = gcd(origFreq, newFreq);
  return Math.ceil(((newFreq / g) * n) / (origFreq / g));
}

/**
 * A streaming resampler: `push` chunks in, get the output that is complete so far; `finish` flushes the
 * tail. The concatenation of all outputs equals `resample` on the concatenated input.
 */
export class Resampler {
  private readonly kernel: SincKernel | null;
  /** Phase weights over the taps every phase may use, [target][span], for a branch-free inner loop. */
  private readonly packed: Float64Array;
  /** First tap of the packed span, and its length. */
  private readonly tapStart: number;
  private readonly span: number;
  /** Input samples from global index `bufStart` (may be negative: the left zero padding). */
  private buf: Float32Array;
  private bufLen = 0;
  private bufStart: number;
  private received = 0;
  /** Next polyphase block to compute (outputs block*target .. block*target + target - 1). */
  private block = 0;
  private emitted = 0;
  private finished = false;

  /** Set when the rate pair is resampled per output sample (no table). */
  private readonly direct: DirectSincResampler | null = null;

  constructor(readonly origFreq: number, readonly newFreq: number, options: Partial<ResamplerOptions> = {}) {
    const { kernel: choice = 'auto', ...sinc } = options;
    let useDirect = false;
    if (origFreq !== newFreq) {
      if (!Number.isInteger(origFreq) || !Number.isInteger(newFreq) || origFreq <= 0 || newFreq <= 0) {
        throw new Error(`resample: rates must be positive integers, got ${origFreq} -> ${newFreq}`);
      }
      const { phases, taps } = tableSize(origFreq, newFreq, sinc);
      useDirect = choice === 'direct' || (choice === 'auto' && phases * taps > MAX_TABLE_WEIGHTS);
    }
    if (useDirect) {
      const g = gcd(origFreq, newFreq);
      const o = { ...RESAMPLE_DEFAULTS, ...sinc };
      if (!(o.lowpassFilterWidth > 0)) throw new Error(`resample: lowpass filter width must be positive, got ${o.lowpassFilterWidth}`);
      this.direct = new DirectSincResampler(origFreq / g, newFreq / g, o);
    }
    this.kernel = origFreq === newFreq || useDirect ? null : sincResampleKernel(origFreq, newFreq, sinc);
    const width = this.kernel?.width ?? 0;
    let lo = 0;
    let hi = 0;
    if (this.kernel) {
      const k = this.kernel;
      lo = k.taps;
      for (let j = 0; j < k.target; j++) {
        if (k.last[j] > k.first[j]) {
          lo = Math.min(lo, k.first[j]);
          hi = Math.max(hi, k.last[j]);
        }
      }
      if (hi <= lo) lo = hi = 0;
    }
    this.tapStart = lo;
    this.span = hi - lo;
    this.packed = new Float64Array(Math.max(1, (this.kernel?.target ?? 0) * this.span));
    if (this.kernel) {
      const k = this.kernel;
      for (let j = 0; j < k.target; j++) for (let t = 0; t < this.span; t++) this.packed[j * this.span + t] = k.weights[j * k.taps + lo + t];
    }
    this.buf = new Float32Array(Math.max(1024, 2 * width + 16));
    this.bufStart = -width;
    this.bufLen = width;
  }

  push(chunk: Float32Array): Float32Array {
    if (this.direct) return this.direct.push(chunk);
    if (this.finished) throw new Error('Resampler: push after finish');
    if (!this.kernel) {
      this.received += chunk.length;
      return chunk.slice();
    }
    this.append(chunk);
    this.received += chunk.length;
    return this.run(false);
  }

  finish(): Float32Array {
    if (this.direct) return this.direct.finish();
    if (this.finished) throw new Error('Resampler: finish called twice');
    this.finished = true;
    if (!this.kernel) return new Float32Array(0);
    this.append(new Float32Array(this.kernel.width + this.kernel.orig));
    return this.run(true);
  }

  private append(chunk: Float32Array): void {
    const k = this.kernel!;
    // Drop samples no future block needs: block b starts at global index b*orig - width.
    const keepFrom = this.block * k.orig - k.width;
    const drop = keepFrom - this.bufStart;
    if (drop > 0 && drop <= this.bufLen) {
      this.buf.copyWithin(0, drop, this.bufLen);
      this.bufLen -= drop;
      this.bufStart = keepFrom;
    }
    this.buf = appendSamples(this.buf, this.bufLen, chunk);
    this.bufLen += chunk.length;
  }

  private run(final: boolean): Float32Array {
    const k = this.kernel!;
    const { orig, target, taps } = k;
    const available = this.bufStart + this.bufLen; // global index one past the last sample held
    const total = final ? resampledLength(this.received, this.origFreq, this.newFreq) : Infinity;
    // Block b needs global samples b*orig - width .. b*orig - width + taps - 1.
    let blocks = Math.floor((available - taps + k.width) / orig) - this.block + 1;
    if (blocks < 0) blocks = 0;
    let count = blocks * target;
    if (final) count = Math.min(count, total - this.emitted);
    if (count <= 0) return new Float32Array(0);
    const out = new Float32Array(count);
    const base0 = this.block * orig - k.width - this.bufStart + this.tapStart;
    const full = Math.floor(count / target);
    polyphaseBlocks(this.buf, base0, orig, this.packed, this.span, target, full, out, 0);
    if (full * target < count) {
      const tail = new Float32Array(target);
      polyphaseBlocks(this.buf, base0 + full * orig, orig, this.packed, this.span, target, 1, tail, 0);
      out.set(tail.subarray(0, count - full * target), full * target);
    }
    this.block += blocks;
    this.emitted += count;
    return out;
  }
}

/**
 * out[o + b*target + j] = sum_t W[j*span + t] * buf[base + b*orig + t] for `blocks` blocks: the polyphase
 * convolution, with two partial sums to halve the floating-point dependency chain.
 */
function polyphaseBlocks(buf: Float32Array, base: number, orig: number, W: Float64Array, span: number, target: number, blocks: number, out: Float32Array, o: number): void {
  if (target === 2) {
    // Upsampling by 2 (8 kHz -> 16 kHz): both phases read the same samples, so load each once.
    for (let b = 0; b < blocks; b++, base += orig) {
      let s0 = 0;
      let s1 = 0;
      for (let t = 0; t < span; t++) {
        const v = buf[base + t];
        s0 += W[t] * v;
        s1 += W[span + t] * v;
      }
      out[o++] = s0;
      out[o++] = s1;
    }
    return;
  }
  for (let b = 0; b < blocks; b++, base += orig) {
    for (let j = 0, w0 = 0; j < target; j++, w0 += span) {
      let s0 = 0;
      let s1 = 0;
      let t = 0;
      for (; t + 1 < span; t += 2) {
        s0 += W[w0 + t] * buf[base + t];
        s1 += W[w0 + t + 1] * buf[base + t + 1];
      }
      if (t < span) s0 += W[w0 + t] * buf[base + t];
      out[o++] = s0 + s1;
    }
  }
}

/** One-shot resampling of a whole signal (torchaudio.functional.resample). */
export function resample(waveform: Float32Array, origFreq: number, newFreq: number, options: Partial<ResamplerOptions> = {}): Float32Array {
  if (origFreq === newFreq) return waveform.slice();
  const r = new Resampler(origFreq, newFreq, options);
  const a = r.push(waveform);
  const b = r.finish();
  if (b.length === 0) return a;
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
