import { InputError } from '../util/errors.ts';

/**
 * Utterance pooling for probes: `mean` (the mean of each dimension over frames) or `mean+std` (the mean
 * and the standard deviation over frames, concatenated: statistics pooling as x-vector and SUPERB's
 * utterance-level tasks use it). Mean pooling cannot tell apart utterances whose frames differ only in
 * spread; mean+std can.
 */
export const POOLINGS = ['mean', 'mean+std'] as const;
export type Pooling = (typeof POOLINGS)[number];

/** Parses `mean`, `mean+std` or a comma list of them (`--pool mean,mean+std`). */
export function parsePoolings(spec: string, field = '--pool'): Pooling[] {
  const out: Pooling[] = [];
  for (const p of spec.split(',').map((s) => s.trim())) {
    if (!(POOLINGS as readonly string[]).includes(p)) throw new InputError(`expected ${POOLINGS.join(' or ')} (or a comma list of them), got "${p}"`, { field });
    if (!out.includes(p as Pooling)) out.push(p as Pooling);
  }
  if (out.length === 0) throw new InputError('no pooling given', { field });
  return out;
}

/** Width of a pooled vector of `dims`-wide frames. */
export function pooledDims(pool: Pooling, dims: number): number {
  return pool === 'mean' ? dims : 2 * dims;
}

/**
 * One utterance's frames [frames, dims] (columns `offset .. offset + dims` of rows `stride` wide, so one
 * block of a row of concatenated layers can be pooled in place) pooled into `out` at `at`.
 * The standard deviation is the population one (divide by the frame count), 0 for a single frame.
 */
export function poolFrames(frames: Float32Array, stride: number, offset: number, dims: number, pool: Pooling, out: Float32Array, at = 0): void {
  const n = Math.floor(frames.length / stride);
  const sum = new Float64Array(dims), sq = new Float64Array(dims);
  for (let t = 0; t < n; t++) {
    const row = t * stride + offset;
    for (let c = 0; c < dims; c++) {
      const v = frames[row + c];
      sum[c] += v;
      sq[c] += v * v;
    }
  }
  for (let c = 0; c < dims; c++) {
    const m = n > 0 ? sum[c] / n : 0;
    out[at + c] = m;
    if (pool === 'mean+std') out[at + dims + c] = n > 0 ? Math.sqrt(Math.max(0, sq[c] / n - m * m)) : 0;
  }
}

/** Pooled rows [utterances, pooledDims] of utterances of `dims`-wide frames (or one block of them). */
export function poolUtterances(utts: Float32Array[], pool: Pooling, dims: number, block?: { stride: number; offset: number }): Float32Array {
  const stride = block?.stride ?? dims, offset = block?.offset ?? 0;
  const pd = pooledDims(pool, dims);
  const out = new Float32Array(utts.length * pd);
  utts.forEach((x, i) => poolFrames(x, stride, offset, dims, pool, out, i * pd));
  return out;
}
