import { instantiateSimdDistance, type SimdDistanceExports, type SimdBlocking } from './simd-distance-code.ts';

/**
 * Squared Euclidean distances between a resident set of points and a set of centroids: the inner work of
 * k-means. Two implementations with one contract: WebAssembly SIMD code generated for the dimension
 * (float32 arithmetic, as scikit-learn uses for float32 data) and a plain typed-array fallback (float64).
 *
 * Use: `loadPoints` (a row range or a gathered list of rows of a [n, dims] matrix), `loadCentroids`, then
 * `nearest` (assignment) or `candidatePotentials` + `takeCandidate` (one k-means++ step).
 */
export interface DistanceKernel {
  readonly dims: number;
  readonly kind: 'wasm-simd' | 'js';
  /** Rows currently loaded. */
  readonly numPoints: number;
  /**
   * Loads `rows` of `data` (row-major [*, dims]); with `rows` null, rows [start, start + count).
   * `sqNorms` (squared norm of every row of `data`), when given, saves recomputing them. `weights` (one
   * per loaded point, default 1) make a point count as that many copies in the k-means++ potentials and
   * running sums (not in `nearest` or `accumulate`).
   */
  loadPoints(data: Float32Array, rows: Int32Array | null, start?: number, count?: number, sqNorms?: Float64Array, weights?: Float32Array): void;
  /** Adds each loaded point to sums[label] (row-major [k, dims]) and counts[label]. */
  accumulate(labels: Int32Array, sums: Float64Array, counts: Int32Array): void;
  loadCentroids(centroids: Float32Array, k: number): void;
  /**
   * Nearest centroid of each loaded point (first on ties) and its squared distance; returns the sum (float64).
   * With `second`, also the squared distance to the second nearest centroid (+Infinity when k is 1).
   */
  nearest(labels: Int32Array, dists: Float32Array, second?: Float32Array): number;
  /**
   * For `m` candidate centroids: pots[j] = sum_i min(closest[i], ||x_i - cand_j||^2). Remembers the
   * per-point minima so that `takeCandidate(j, closest)` can update `closest` for the chosen one.
   */
  candidatePotentials(candidates: Float32Array, m: number, closest: Float32Array, pots: Float64Array): void;
  /** closest <- the minima of candidate j; with `cumsum`, also the running sums of weight x minimum (float64). */
  takeCandidate(j: number, closest: Float32Array, cumsum?: Float64Array): void;
}

/** A kernel for `dims`: WebAssembly SIMD where available (unless `forceJs`), else the JS fallback. */
export function createDistanceKernel(dims: number, opts: { forceJs?: boolean; blocking?: SimdBlocking } = {}): DistanceKernel {
  if (!opts.forceJs) {
    const k = SimdDistanceKernel.tryCreate(dims, opts.blocking ?? SIMD_BLOCKING_DEFAULTS);
    if (k) return k;
  }
  return new JsDistanceKernel(dims);
}


const MAX_CANDIDATES = 512;
/** Register blocking of the SIMD code (measured fastest on x86-64 with V8's 16 xmm registers). */
export const SIMD_BLOCKING_DEFAULTS: Readonly<SimdBlocking> = Object.freeze({ rows: 2, nearestWidth: 8, potentialsWidth: 8 });

class SimdDistanceKernel implements DistanceKernel {
  readonly kind = 'wasm-simd' as const;
  numPoints = 0;
  private readonly dp: number;
  private readonly memory: WebAssembly.Memory;
  private readonly fns: SimdDistanceExports;
  private readonly blocking: SimdBlocking;
  private rowsCap = 0;
  private centroidsCap = 0;
  private outCap = 0;
  private off = { centroids: 0, cn: 0, pots: 0, points: 0, xn: 0, weights: 0, labels: 0, dists: 0, second: 0, closest: 0, out: 0, cumsum: 0, end: 0 };
  private passes = 0;
  private k = 0;
  private candPasses = 0;

  static tryCreate(dims: number, blocking: SimdBlocking): SimdDistanceKernel | null {
    const dp = Math.ceil(dims / 4) * 4;
    if (dp > 4096) return null;
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536 });
    try {
      const fns = instantiateSimdDistance(dp, blocking, memory);
      return fns ? new SimdDistanceKernel(dims, dp, blocking, memory, fns) : null;
    } catch {
      return null;
    }
  }

  private constructor(readonly dims: number, dp: number, blocking: SimdBlocking, memory: WebAssembly.Memory, fns: SimdDistanceExports) {
    this.dp = dp;
    this.blocking = blocking;
    this.memory = memory;
    this.fns = fns;
  }

  /** Region offsets for capacities (in floats of centroid storage, rows, candidate-output floats per row). */
  private layout(rowsCap: number, centroidsCap: number, outCap: number) {
    const align = (n: number) => Math.ceil(n / 16) * 16;
    const o = { centroids: 0, cn: 0, pots: 0, points: 0, xn: 0, weights: 0, labels: 0, dists: 0, second: 0, closest: 0, out: 0, cumsum: 0, end: 0 };
    let at = 0;
    const put = (name: keyof typeof o, bytes: number) => {
      o[name] = at;
      at = align(at + bytes);
    };
    put('centroids', centroidsCap * this.dp * 4);
    put('cn', centroidsCap * 4);
    put('pots', (MAX_CANDIDATES + this.blocking.potentialsWidth) * 8);
    put('points', rowsCap * this.dp * 4);
    put('xn', rowsCap * 4);
    put('weights', rowsCap * 4);
    put('labels', rowsCap * 4);
    put('dists', rowsCap * 4);
    put('second', rowsCap * 4);
    put('closest', rowsCap * 4);
    put('out', outCap * rowsCap * 4);
    put('cumsum', rowsCap * 8);
    o.end = at;
    return o;
  }

  /** Grows capacities; regions keep their order, so growth only moves them up (moved last-first). */
  private ensure(rows: number, centroids: number, out: number): void {
    const r = Math.max(this.rowsCap, rows), c = Math.max(this.centroidsCap, centroids), q = Math.max(this.outCap, out);
    if (r === this.rowsCap && c === this.centroidsCap && q === this.outCap) return;
    const next = this.layout(r, c, q);
    const have = this.memory.buffer.byteLength;
    if (next.end > have) {
      try {
        this.memory.grow(Math.ceil((next.end - have) / 65536));
      } catch (e) {
        throw new Error(`distance kernel: cannot grow WebAssembly memory to ${(next.end / 2 ** 20).toFixed(0)} MiB (${(e as Error).message})`);
      }
    }
    const bytes = new Uint8Array(this.memory.buffer);
    const names = ['cumsum', 'out', 'closest', 'second', 'dists', 'labels', 'weights', 'xn', 'points', 'pots', 'cn', 'centroids'] as const;
    const old = this.off;
    for (let n = 0; n < names.length; n++) {
      const name = names[n];
      const size = (n === 0 ? old.end : old[names[n - 1]]) - old[name];
      if (size > 0 && next[name] !== old[name]) bytes.copyWithin(next[name], old[name], old[name] + size);
    }
    this.off = next;
    this.rowsCap = r;
    this.centroidsCap = c;
    this.outCap = q;
  }

  loadPoints(data: Float32Array, rows: Int32Array | null, start = 0, count = rows ? rows.length : 0, sqNorms?: Float64Array, weights?: Float32Array): void {
    const n = rows ? rows.length : count;
    if (weights && weights.length < n) throw new Error(`distance kernel: ${weights.length} weights for ${n} points`);
    const nPad = Math.ceil(n / this.blocking.rows) * this.blocking.rows;
    this.ensure(Math.max(nPad, this.blocking.rows), 0, 0);
    const { dims, dp } = this;
    const pts = new Float32Array(this.memory.buffer, this.off.points, nPad * dp);
    const xn = new Float32Array(this.memory.buffer, this.off.xn, nPad);
    const contiguous = rows === null && dp === dims;
    if (contiguous) pts.set(data.subarray(start * dims, (start + n) * dims));
    // Plain element loops: for rows of a few dozen floats they beat subarray + set per row several times over.
    for (let i = 0; i < n; i++) {
      const row = rows === null ? start + i : rows[i];
      const r = row * dims;
      const o = i * dp;
      if (!contiguous) {
        for (let t = 0; t < dims; t++) pts[o + t] = data[r + t];
        for (let t = dims; t < dp; t++) pts[o + t] = 0;
      }
      if (sqNorms) {
        xn[i] = sqNorms[row];
      } else {
        let s = 0;
        for (let t = 0; t < dims; t++) s += pts[o + t] * pts[o + t];
        xn[i] = s;
      }
    }
    pts.fill(0, n * dp);
    xn.fill(0, n);
    const w = new Float32Array(this.memory.buffer, this.off.weights, nPad);
    if (weights) w.set(weights.subarray(0, n));
    else w.fill(1, 0, n);
    w.fill(0, n);
    this.numPoints = n;
  }

  accumulate(labels: Int32Array, sums: Float64Array, counts: Int32Array): void {
    const { dims, dp } = this;
    const pts = new Float32Array(this.memory.buffer, this.off.points, this.numPoints * dp);
    for (let i = 0; i < this.numPoints; i++) {
      const j = labels[i];
      counts[j]++;
      const o = i * dp, so = j * dims;
      for (let t = 0; t < dims; t++) sums[so + t] += pts[o + t];
    }
  }

  /** Writes centroids in passes of `width` at byte `offset`, norms at `cnOffset`; returns the pass count. */
  private writeCentroids(c: Float32Array, k: number, width: number, offset: number, cnOffset: number): number {
    const { dims, dp } = this;
    const passes = Math.ceil(k / width);
    const buf = new Float32Array(this.memory.buffer, offset, passes * dp * width);
    const cn = new Float32Array(this.memory.buffer, cnOffset, passes * width);
    buf.fill(0);
    for (let j = 0; j < passes * width; j++) {
      if (j >= k) {
        cn[j] = Infinity;
        continue;
      }
      const base = Math.floor(j / width) * dp * width + (j % width);
      let s = 0;
      for (let t = 0; t < dims; t++) {
        const v = c[j * dims + t];
        buf[base + t * width] = v;
        s += v * v;
      }
      cn[j] = s;
    }
    return passes;
  }

  private candidateSlots(): number {
    return Math.ceil(this.k / this.blocking.nearestWidth) * this.blocking.nearestWidth;
  }

  loadCentroids(c: Float32Array, k: number): void {
    const w = this.blocking.nearestWidth;
    this.ensure(0, Math.ceil(k / w) * w, 0);
    this.passes = this.writeCentroids(c, k, w, this.off.centroids, this.off.cn);
    this.k = k;
  }

  nearest(labels: Int32Array, dists: Float32Array, second?: Float32Array): number {
    const n = this.numPoints;
    if (n === 0) return 0;
    if (this.k === 0) throw new Error('distance kernel: no centroids loaded');
    const o = this.off;
    this.fns.nearest(o.points, Math.ceil(n / this.blocking.rows), o.centroids, o.cn, this.passes, o.xn, o.labels, o.dists, o.second);
    labels.set(new Int32Array(this.memory.buffer, o.labels, n));
    const d = new Float32Array(this.memory.buffer, o.dists, n);
    dists.set(d);
    if (second) second.set(new Float32Array(this.memory.buffer, o.second, n));
    let sum = 0;
    for (let i = 0; i < n; i++) sum += d[i];
    return sum;
  }

  candidatePotentials(candidates: Float32Array, m: number, closest: Float32Array, pots: Float64Array): void {
    if (m > MAX_CANDIDATES) throw new Error(`distance kernel: at most ${MAX_CANDIDATES} candidates per step`);
    const n = this.numPoints;
    const w = this.blocking.potentialsWidth;
    const passes = Math.ceil(m / w);
    // Candidates live after the loaded centroids, which stay intact.
    const slot = this.candidateSlots();
    this.ensure(0, slot + passes * w, passes * w);
    const o = this.off;
    const cOff = o.centroids + slot * this.dp * 4;
    const cnOff = o.cn + slot * 4;
    this.writeCentroids(candidates, m, w, cOff, cnOff);
    const nPad = Math.ceil(n / this.blocking.rows) * this.blocking.rows;
    const cl = new Float32Array(this.memory.buffer, o.closest, nPad);
    cl.set(closest.subarray(0, n));
    cl.fill(0, n);
    this.fns.potentials(o.points, nPad / this.blocking.rows, cOff, cnOff, passes, o.xn, o.closest, o.out, o.pots, o.weights);
    const p = new Float64Array(this.memory.buffer, o.pots, passes * w);
    for (let j = 0; j < m; j++) pots[j] = p[j];
    this.candPasses = passes;
  }

  takeCandidate(j: number, closest: Float32Array, cumsum?: Float64Array): void {
    const w = this.blocking.potentialsWidth;
    const q = Math.floor(j / w), lane = j % w;
    if (q >= this.candPasses) throw new Error('distance kernel: takeCandidate before candidatePotentials');
    const n = this.numPoints;
    if (n === 0) return;
    const nPad = Math.ceil(n / this.blocking.rows) * this.blocking.rows;
    const o = this.off;
    this.fns.takeLane(o.out + (q * nPad * w + lane) * 4, n, w * 4, o.closest, o.cumsum, o.weights);
    closest.set(new Float32Array(this.memory.buffer, o.closest, n));
    if (cumsum) cumsum.set(new Float64Array(this.memory.buffer, o.cumsum, n));
  }
}

/** The typed-array fallback (float64 accumulation); also the reference the SIMD kernel is tested against. */
class JsDistanceKernel implements DistanceKernel {
  readonly kind = 'js' as const;
  numPoints = 0;
  private points = new Float32Array(0);
  private xn = new Float64Array(0);
  private weights = new Float64Array(0);
  private centroids: Float32Array = new Float32Array(0);
  private cn: Float64Array = new Float64Array(0);
  private k = 0;
  private minima = new Float32Array(0);
  private m = 0;

  constructor(readonly dims: number) {}

  loadPoints(data: Float32Array, rows: Int32Array | null, start = 0, count = rows ? rows.length : 0, _sqNorms?: Float64Array, weights?: Float32Array): void {
    const n = rows ? rows.length : count;
    if (weights && weights.length < n) throw new Error(`distance kernel: ${weights.length} weights for ${n} points`);
    const d = this.dims;
    if (this.points.length < n * d) this.points = new Float32Array(n * d);
    if (this.xn.length < n) this.xn = new Float64Array(n);
    if (this.weights.length < n) this.weights = new Float64Array(n);
    for (let i = 0; i < n; i++) this.weights[i] = weights ? weights[i] : 1;
    for (let i = 0; i < n; i++) {
      const r = (rows === null ? start + i : rows[i]) * d;
      let s = 0;
      for (let t = 0; t < d; t++) {
        const v = data[r + t];
        this.points[i * d + t] = v;
        s += v * v;
      }
      this.xn[i] = s;
    }
    this.numPoints = n;
  }

  accumulate(labels: Int32Array, sums: Float64Array, counts: Int32Array): void {
    const d = this.dims;
    for (let i = 0; i < this.numPoints; i++) {
      const j = labels[i];
      counts[j]++;
      for (let t = 0; t < d; t++) sums[j * d + t] += this.points[i * d + t];
    }
  }

  loadCentroids(c: Float32Array, k: number): void {
    this.centroids = c.slice(0, k * this.dims);
    this.cn = norms(this.centroids, k, this.dims);
    this.k = k;
  }

  nearest(labels: Int32Array, dists: Float32Array, second?: Float32Array): number {
    const { dims: d, points: x, centroids: c, cn, k } = this;
    let sum = 0;
    for (let i = 0; i < this.numPoints; i++) {
      let best = Infinity, next = Infinity, bj = 0;
      for (let j = 0; j < k; j++) {
        let dot = 0;
        for (let t = 0; t < d; t++) dot += x[i * d + t] * c[j * d + t];
        const v = cn[j] - 2 * dot;
        if (v < best) {
          next = best;
          best = v;
          bj = j;
        } else if (v < next) {
          next = v;
        }
      }
      const dist = Math.max(best + this.xn[i], 0);
      labels[i] = bj;
      dists[i] = dist;
      if (second) second[i] = Math.max(next + this.xn[i], 0);
      sum += dist;
    }
    return sum;
  }

  candidatePotentials(candidates: Float32Array, m: number, closest: Float32Array, pots: Float64Array): void {
    const { dims: d, points: x, numPoints: n } = this;
    const cn = norms(candidates, m, d);
    if (this.minima.length < n * m) this.minima = new Float32Array(n * m);
    for (let j = 0; j < m; j++) {
      let pot = 0;
      for (let i = 0; i < n; i++) {
        let dot = 0;
        for (let t = 0; t < d; t++) dot += x[i * d + t] * candidates[j * d + t];
        const v = Math.min(closest[i], Math.max(this.xn[i] + cn[j] - 2 * dot, 0));
        this.minima[j * n + i] = v;
        pot += v * this.weights[i];
      }
      pots[j] = pot;
    }
    this.m = m;
  }

  takeCandidate(j: number, closest: Float32Array, cumsum?: Float64Array): void {
    if (j >= this.m) throw new Error('distance kernel: takeCandidate before candidatePotentials');
    const n = this.numPoints;
    closest.set(this.minima.subarray(j * n, j * n + n));
    if (cumsum) {
      let s = 0;
      for (let i = 0; i < n; i++) {
        s += closest[i] * this.weights[i];
        cumsum[i] = s;
      }
    }
  }
}

function norms(c: Float32Array, k: number, d: number): Float64Array {
  const out = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    let s = 0;
    for (let t = 0; t < d; t++) s += c[j * d + t] * c[j * d + t];
    out[j] = s;
  }
  return out;
}
