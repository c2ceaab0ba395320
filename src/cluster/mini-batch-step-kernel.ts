import { instantiateSimdDistance, type SimdDistanceExports } from './simd-distance-code.ts';
import { SIMD_BLOCKING_DEFAULTS } from './distance-kernel.ts';

/**
 * The per-step work of mini-batch k-means over a matrix held for the whole run ("resident"), so that a step
 * gathers nothing: batches are lists of row indices.
 *
 * The caller writes row indices into `rows` and calls `gather` (the SIMD kernel copies those rows into
 * consecutive storage: one pass of scattered reads per step), `selectUnchanged` (which lists in `todo`
 * the rows to assign in full), `assignTodo`, and `accumulate` with the final `labels`.
 * Buffers are allocated once (the WebAssembly memory never grows afterwards), so a step
 * allocates nothing.
 */
export interface MiniBatchStepKernel {
  readonly kind: 'wasm-simd' | 'js';
  /** Batch row indices, [capacity]. */
  readonly rows: Int32Array;
  /** Centre per batch row: output of `selectUnchanged`, input of `accumulate`. */
  readonly labels: Int32Array;
  /** Output of `selectUnchanged`: squared distance of each batch row to the centre `labels` names. */
  readonly dists: Float32Array;
  /** Batch positions (indices into `rows`) to assign in full, [capacity]; outputs of `assignTodo` below. */
  readonly todo: Int32Array;
  readonly todoLabels: Int32Array;
  readonly todoDists: Float32Array;
  /** Squared distance to the second nearest centre (+Infinity when k is 1). */
  readonly todoSecond: Float32Array;
  /** Loads the k centres (row-major [k, dims]). */
  loadCentroids(centroids: Float32Array): void;
  /** The largest squared norm of the loaded centres. */
  readonly maxCentroidSqNorm: number;
  /** Fetches rows[0..count) for the calls below. */
  gather(count: number): void;
  /** Per data row: the centre it was last assigned to (-1: never), and BoundedAssignment's bound plus drift. */
  readonly assigned: Int32Array;
  readonly lowerPlusDrift: Float64Array;
  /**
   * The bound test of BoundedAssignment for batch rows 0..count: writes labels[i] = assigned[rows[i]] (0 when
   * -1) and dists[i] (the squared distance to it); lists in `todo` the positions of the rows that must be
   * assigned in full (never assigned, or lowerPlusDrift - drift <= 0, or dists * (1 + 1e-5) > bound^2) and
   * returns how many.
   */
  selectUnchanged(count: number, drift: number): number;
  /** Nearest centre (first on ties), its squared distance and the second one's, for the rows at batch positions todo[0..count). */
  assignTodo(count: number): void;
  /** sums[labels[i]] += x_rows[i] and counts[labels[i]]++ for i < count; sums row-major [k, dims], float64. */
  accumulate(count: number, sums: Float64Array, counts: Int32Array): void;
}

export function createMiniBatchStepKernel(data: Float32Array, n: number, dims: number, k: number, capacity: number, opts: { forceJs?: boolean } = {}): MiniBatchStepKernel {
  if (!opts.forceJs) {
    const simd = SimdStepKernel.tryCreate(data, n, dims, k, capacity);
    if (simd) return simd;
  }
  return new JsStepKernel(data, n, dims, k, capacity);
}

class SimdStepKernel implements MiniBatchStepKernel {
  readonly kind = 'wasm-simd' as const;
  readonly rows: Int32Array;
  readonly labels: Int32Array;
  readonly dists: Float32Array;
  readonly todo: Int32Array;
  readonly todoLabels: Int32Array;
  readonly todoDists: Float32Array;
  readonly todoSecond: Float32Array;
  readonly assigned: Int32Array;
  readonly lowerPlusDrift: Float64Array;
  maxCentroidSqNorm = 0;
  private readonly passCentroids: Float32Array;
  private readonly passNorms: Float32Array;
  private readonly rowCentroids: Float32Array;
  private readonly sums: Float64Array;
  private readonly passes: number;
  private readonly at: Record<SimdStepKernelRegion, number>;

  static tryCreate(data: Float32Array, n: number, dims: number, k: number, capacity: number): SimdStepKernel | null {
    const dp = Math.ceil(dims / 4) * 4;
    if (dp > 4096 || typeof WebAssembly === 'undefined') return null;
    const width = SIMD_BLOCKING_DEFAULTS.nearestWidth;
    const cap = Math.ceil(capacity / SIMD_BLOCKING_DEFAULTS.rows) * SIMD_BLOCKING_DEFAULTS.rows;
    const slots = Math.ceil(k / width) * width;
    const sizes: [SimdStepKernelRegion, number][] = [
      ['data', n * dp * 4], ['xn', n * 4], ['pass', slots * dp * 4], ['passNorms', slots * 4], ['rowCentroids', k * dp * 4],
      ['sums', k * dp * 8], ['assigned', n * 4], ['bound', n * 8], ['batch', cap * dp * 4], ['batchXn', cap * 4], ['seq', cap * 4], ['rows', cap * 4], ['labels', cap * 4], ['dists', cap * 4], ['todo', cap * 4],
      ['todoLabels', cap * 4], ['todoDists', cap * 4], ['todoSecond', cap * 4],
    ];
    const at = {} as Record<SimdStepKernelRegion, number>;
    let end = 0;
    for (const [name, bytes] of sizes) {
      at[name] = end;
      end = Math.ceil((end + bytes) / 16) * 16;
    }
    let memory: WebAssembly.Memory;
    try {
      memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(end / 65536)) });
    } catch (e) {
      throw new Error(`mini-batch step kernel: cannot allocate ${(end / 2 ** 20).toFixed(0)} MiB of WebAssembly memory (${(e as Error).message})`);
    }
    let fns: SimdDistanceExports | null;
    try {
      fns = instantiateSimdDistance(dp, SIMD_BLOCKING_DEFAULTS, memory);
    } catch {
      fns = null;
    }
    return fns ? new SimdStepKernel(data, n, dims, dp, k, cap, memory, fns, at) : null;
  }

  private constructor(
    data: Float32Array, n: number, readonly dims: number, private readonly dp: number, private readonly k: number, cap: number,
    private readonly memory: WebAssembly.Memory, private readonly fns: SimdDistanceExports, at: Record<SimdStepKernelRegion, number>,
  ) {
    this.at = at;
    const buf = memory.buffer;
    const width = SIMD_BLOCKING_DEFAULTS.nearestWidth;
    this.passes = Math.ceil(k / width);
    const resident = new Float32Array(buf, at.data, n * dp);
    const xn = new Float32Array(buf, at.xn, n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let t = 0; t < dims; t++) {
        const v = data[i * dims + t];
        resident[i * dp + t] = v;
        s += v * v;
      }
      xn[i] = s;
    }
    this.passCentroids = new Float32Array(buf, at.pass, this.passes * width * dp);
    this.passNorms = new Float32Array(buf, at.passNorms, this.passes * width);
    this.rowCentroids = new Float32Array(buf, at.rowCentroids, k * dp);
    this.sums = new Float64Array(buf, at.sums, k * dp);
    this.rows = new Int32Array(buf, at.rows, cap);
    this.labels = new Int32Array(buf, at.labels, cap);
    this.dists = new Float32Array(buf, at.dists, cap);
    this.todo = new Int32Array(buf, at.todo, cap);
    this.todoLabels = new Int32Array(buf, at.todoLabels, cap);
    this.todoDists = new Float32Array(buf, at.todoDists, cap);
    this.todoSecond = new Float32Array(buf, at.todoSecond, cap);
    this.assigned = new Int32Array(buf, at.assigned, n).fill(-1);
    this.lowerPlusDrift = new Float64Array(buf, at.bound, n);
    const seq = new Int32Array(buf, at.seq, cap);
    for (let i = 0; i < cap; i++) seq[i] = i;
  }

  loadCentroids(c: Float32Array): void {
    const { dims, dp, k } = this;
    const width = SIMD_BLOCKING_DEFAULTS.nearestWidth;
    let max = 0;
    for (let j = 0; j < this.passes * width; j++) {
      if (j >= k) {
        this.passNorms[j] = Infinity;
        const base = Math.floor(j / width) * dp * width + (j % width);
        for (let t = 0; t < dp; t++) this.passCentroids[base + t * width] = 0;
        continue;
      }
      const base = Math.floor(j / width) * dp * width + (j % width);
      let s = 0;
      for (let t = 0; t < dp; t++) {
        const v = t < dims ? c[j * dims + t] : 0;
        this.passCentroids[base + t * width] = v;
        this.rowCentroids[j * dp + t] = v;
        s += v * v;
      }
      this.passNorms[j] = s;
      if (s > max) max = s;
    }
    this.maxCentroidSqNorm = max;
  }

  gather(count: number): void {
    if (count <= 0) return;
    const a = this.at;
    this.fns.gatherRows(a.rows, count, a.data, a.xn, a.batch, a.batchXn);
  }

  selectUnchanged(count: number, drift: number): number {
    if (count <= 0) return 0;
    const a = this.at;
    return this.fns.selectUnchanged(a.rows, count, a.batch, a.assigned, a.bound, drift, a.rowCentroids, a.labels, a.dists, a.todo);
  }

  assignTodo(count: number): void {
    if (count <= 0) return;
    const P = SIMD_BLOCKING_DEFAULTS.rows;
    const padded = Math.ceil(count / P) * P;
    for (let i = count; i < padded; i++) this.todo[i] = this.todo[0];
    const a = this.at;
    this.fns.nearestIndexed(a.todo, padded / P, a.pass, a.passNorms, this.passes, a.batchXn, a.todoLabels, a.todoDists, a.todoSecond, a.batch);
  }

  accumulate(count: number, sums: Float64Array, counts: Int32Array): void {
    const { dims, dp, k } = this;
    this.sums.fill(0);
    if (count > 0) this.fns.accumulateIndexed(this.at.seq, count, this.at.batch, this.at.labels, this.at.sums);
    for (let i = 0; i < count; i++) counts[this.labels[i]]++;
    for (let j = 0; j < k; j++) for (let t = 0; t < dims; t++) sums[j * dims + t] += this.sums[j * dp + t];
  }
}

type SimdStepKernelRegion = 'data' | 'xn' | 'pass' | 'passNorms' | 'rowCentroids' | 'sums' | 'assigned' | 'bound' | 'batch' | 'batchXn' | 'seq' | 'rows' | 'labels' | 'dists' | 'todo' | 'todoLabels' | 'todoDists' | 'todoSecond';

/** Plain typed-array version (float64 arithmetic); also the reference the SIMD one is tested against. */
class JsStepKernel implements MiniBatchStepKernel {
  readonly kind = 'js' as const;
  readonly rows: Int32Array;
  readonly labels: Int32Array;
  readonly dists: Float32Array;
  readonly todo: Int32Array;
  readonly todoLabels: Int32Array;
  readonly todoDists: Float32Array;
  readonly todoSecond: Float32Array;
  readonly assigned: Int32Array;
  readonly lowerPlusDrift: Float64Array;
  maxCentroidSqNorm = 0;
  private readonly centroids: Float64Array;

  constructor(private readonly data: Float32Array, n: number, readonly dims: number, private readonly k: number, capacity: number) {
    if (data.length < n * dims) throw new Error(`mini-batch step kernel: data holds ${data.length} values, expected ${n} x ${dims}`);
    this.rows = new Int32Array(capacity);
    this.labels = new Int32Array(capacity);
    this.dists = new Float32Array(capacity);
    this.todo = new Int32Array(capacity);
    this.todoLabels = new Int32Array(capacity);
    this.todoDists = new Float32Array(capacity);
    this.todoSecond = new Float32Array(capacity);
    this.centroids = new Float64Array(k * dims);
    this.assigned = new Int32Array(n).fill(-1);
    this.lowerPlusDrift = new Float64Array(n);
  }

  selectUnchanged(count: number, drift: number): number {
    let m = 0;
    for (let i = 0; i < count; i++) {
      const r = this.rows[i], a = this.assigned[r];
      const label = a < 0 ? 0 : a;
      this.labels[i] = label;
      this.dists[i] = this.sqDistance(r, label);
      const bound = this.lowerPlusDrift[r] - drift;
      if (a >= 0 && bound > 0 && this.dists[i] * (1 + 1e-5) <= bound * bound) continue;
      this.todo[m++] = i;
    }
    return m;
  }

  loadCentroids(c: Float32Array): void {
    let max = 0;
    for (let j = 0; j < this.k; j++) {
      let s = 0;
      for (let t = 0; t < this.dims; t++) {
        const v = c[j * this.dims + t];
        this.centroids[j * this.dims + t] = v;
        s += v * v;
      }
      if (s > max) max = s;
    }
    this.maxCentroidSqNorm = max;
  }

  private sqDistance(row: number, j: number): number {
    const d = this.dims, x = this.data, c = this.centroids;
    let s = 0;
    for (let t = 0; t < d; t++) {
      const diff = x[row * d + t] - c[j * d + t];
      s += diff * diff;
    }
    return s;
  }

  gather(): void {}

  assignTodo(count: number): void {
    for (let i = 0; i < count; i++) {
      let best = Infinity, next = Infinity, bj = 0;
      for (let j = 0; j < this.k; j++) {
        const v = this.sqDistance(this.rows[this.todo[i]], j);
        if (v < best) {
          next = best;
          best = v;
          bj = j;
        } else if (v < next) {
          next = v;
        }
      }
      this.todoLabels[i] = bj;
      this.todoDists[i] = best;
      this.todoSecond[i] = next;
    }
  }

  accumulate(count: number, sums: Float64Array, counts: Int32Array): void {
    const d = this.dims;
    for (let i = 0; i < count; i++) {
      const j = this.labels[i], r = this.rows[i] * d;
      counts[j]++;
      for (let t = 0; t < d; t++) sums[j * d + t] += this.data[r + t];
    }
  }
}
