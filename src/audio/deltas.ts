/**
 * Time derivatives of features, as torchaudio.functional.compute_deltas computes them:
 * d[t] = sum_{k=1..n} k (x[t+k] - x[t-k]) / (2 sum k^2), n = (winLength - 1) / 2, with the edges
 * replicated. `appendDeltas` stacks [x, d, dd] as fairseq's HuBERT MFCC dump does (13 -> 39 dims).
 */
import type { FeatureMatrix } from './feature-matrix.ts';

export function computeDeltas(m: FeatureMatrix, winLength = 5): FeatureMatrix {
  if (!Number.isInteger(winLength) || winLength < 3) throw new RangeError(`delta window must be an integer >= 3, got ${winLength}`);
  const { data, frames, dims } = m;
  const n = (winLength - 1) >> 1;
  const denom = (n * (n + 1) * (2 * n + 1)) / 3;
  const out = new Float32Array(frames * dims);
  const last = frames - 1;
  for (let t = 0; t < frames; t++) {
    const row = t * dims;
    for (let d = 0; d < dims; d++) {
      let s = 0;
      for (let k = 1; k <= n; k++) {
        const ahead = t + k > last ? last : t + k;
        const behind = t - k < 0 ? 0 : t - k;
        s += k * (data[ahead * dims + d] - data[behind * dims + d]);
      }
      out[row + d] = s / denom;
    }
  }
  return { data: out, frames, dims };
}

/** [x, delta(x), delta(delta(x)), ...] up to `order`, concatenated along the feature axis. */
export function appendDeltas(m: FeatureMatrix, order = 2, winLength = 5): FeatureMatrix {
  const parts: FeatureMatrix[] = [m];
  for (let i = 0; i < order; i++) parts.push(computeDeltas(parts[parts.length - 1], winLength));
  const dims = m.dims * parts.length;
  const out = new Float32Array(m.frames * dims);
  for (let t = 0; t < m.frames; t++) {
    let p = t * dims;
    for (const part of parts) {
      out.set(part.data.subarray(t * m.dims, (t + 1) * m.dims), p);
      p += m.dims;
    }
  }
  return { data: out, frames: m.frames, dims };
}
