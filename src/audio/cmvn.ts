/**
 * Utterance-level cepstral mean (and variance) normalisation over the frames of one matrix, as Kaldi's
 * apply-cmvn does with per-utterance statistics: each column gets zero mean, and with `meanvar` unit
 * variance (population variance, floored so silent columns stay finite).
 */
import type { FeatureMatrix } from './feature-matrix.ts';

export type CmvnMode = 'none' | 'mean' | 'meanvar';
export const CMVN_MODES: readonly CmvnMode[] = ['none', 'mean', 'meanvar'];

const VARIANCE_FLOOR = 1e-20;

/** Subtracts each column's mean, in place. */
export function subtractColumnMean(m: FeatureMatrix): FeatureMatrix {
  return utteranceCmvn(m, 'mean');
}

/** Normalises `m` in place and returns it. */
export function utteranceCmvn(m: FeatureMatrix, mode: CmvnMode): FeatureMatrix {
  const { data, frames, dims } = m;
  if (mode === 'none' || frames === 0) return m;
  const sum = new Float64Array(dims);
  const sumSq = new Float64Array(dims);
  for (let t = 0; t < frames; t++) {
    const row = t * dims;
    for (let d = 0; d < dims; d++) {
      const v = data[row + d];
      sum[d] += v;
      sumSq[d] += v * v;
    }
  }
  const mean = new Float64Array(dims);
  const scale = new Float64Array(dims).fill(1);
  for (let d = 0; d < dims; d++) {
    mean[d] = sum[d] / frames;
    if (mode === 'meanvar') {
      const variance = Math.max(sumSq[d] / frames - mean[d] * mean[d], VARIANCE_FLOOR);
      scale[d] = 1 / Math.sqrt(variance);
    }
  }
  for (let t = 0; t < frames; t++) {
    const row = t * dims;
    for (let d = 0; d < dims; d++) data[row + d] = (data[row + d] - mean[d]) * scale[d];
  }
  return m;
}
