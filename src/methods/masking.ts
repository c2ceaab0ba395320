import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../util/rng.ts';

/**
 * Span masking as fairseq's `compute_mask_indices` with static span lengths and overlapping spans
 * allowed (the HuBERT and wav2vec 2.0 setting):
 *
 *   per utterance of `sz` valid frames, num_mask = max(min_masks, floor(mask_prob * sz / mask_length + u)),
 *   u ~ U[0, 1) (probabilistic rounding); span starts drawn without replacement from
 *   [0, sz - mask_length); each start masks mask_length frames; overlapping spans merge.
 *
 * So `mask_prob` is the expected share of frames that *start* a span, times the span length — not the
 * masked fraction. With overlaps the expected coverage is about 1 - (1 - p/L)^L: 0.566 for HuBERT's
 * 0.8/10 and 0.49 for wav2vec 2.0's 0.65/10 (the paper's "about 49%"). Like fairseq, a span never
 * reaches the last valid frame (starts stop at sz - L - 1).
 *
 * With `requireSameMasks` (fairseq's default) every utterance of the batch ends with the same number
 * of masked frames, the batch minimum, by dropping random masked frames from the others; this keeps
 * `[B, masked, D]` reshapes possible (wav2vec 2.0's negatives rely on it). Padding frames (beyond an
 * utterance's length) are never masked.
 */
export interface SpanMaskConfig {
  /** Expected share of frames starting a span, times the span length (HuBERT base 0.8, wav2vec 2.0 0.65). */
  maskProb: number;
  /** Frames per span. */
  maskLength: number;
  /** Lower bound on spans per utterance (fairseq's models pass 2). */
  minMasks: number;
  /** Equalise the masked-frame count across the batch (fairseq default true). */
  requireSameMasks: boolean;
  /** Share of each utterance's masked frames unmasked again at random (fairseq's mask_dropout). */
  maskDropout: number;
}

export const SPAN_MASK_DEFAULTS: SpanMaskConfig = {
  maskProb: 0.8,
  maskLength: 10,
  minMasks: 2,
  requireSameMasks: true,
  maskDropout: 0,
};

/** A [batch, time] frame mask; `data[b * time + t]` is 1 where frame t of utterance b is masked. */
export interface SpanMask {
  batch: number;
  time: number;
  data: Uint8Array;
}

function validateConfig(c: SpanMaskConfig): void {
  if (!(c.maskProb >= 0 && c.maskProb <= 1)) throw new Error(`span mask: maskProb must be in [0, 1], got ${c.maskProb}`);
  if (!(Number.isInteger(c.maskLength) && c.maskLength >= 1)) throw new Error(`span mask: maskLength must be a positive integer, got ${c.maskLength}`);
  if (!(Number.isInteger(c.minMasks) && c.minMasks >= 0)) throw new Error(`span mask: minMasks must be a non-negative integer, got ${c.minMasks}`);
  if (!(c.maskDropout >= 0 && c.maskDropout < 1)) throw new Error(`span mask: maskDropout must be in [0, 1), got ${c.maskDropout}`);
}

/** `k` distinct integers from [0, n), in draw order (partial Fisher-Yates, as numpy's choice without replacement). */
function chooseDistinct(n: number, k: number, rng: Rng): Int32Array {
  const pool = new Int32Array(n);
  for (let i = 0; i < n; i++) pool[i] = i;
  const out = new Int32Array(k);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    const tmp = pool[i];
    pool[i] = pool[j];
    pool[j] = tmp;
    out[i] = pool[i];
  }
  return out;
}

/** Sorted distinct masked frame indices of one utterance with `size` valid frames. */
function maskOneUtterance(size: number, numMask: number, c: SpanMaskConfig, rng: Rng): number[] {
  if (size <= 0 || numMask <= 0) return [];
  let minLen = c.maskLength;
  if (size - minLen <= numMask) minLen = size - numMask - 1;
  const starts = chooseDistinct(size - minLen, numMask, rng);
  const hit = new Uint8Array(size);
  for (const s of starts) for (let o = 0; o < c.maskLength; o++) if (s + o < size) hit[s + o] = 1;
  const idx: number[] = [];
  for (let t = 0; t < size; t++) if (hit[t]) idx.push(t);
  return idx;
}

function spanCount(size: number, c: SpanMaskConfig, rng: Rng): number {
  return Math.max(c.minMasks, Math.floor((c.maskProb * size) / c.maskLength + rng.next()));
}

/**
 * Draws a span mask for a batch of `batch` utterances padded to `time` frames. `lengths` gives the
 * valid frames per utterance (padding at the end); without it every utterance is `time` long and,
 * as in fairseq, one span count is drawn for the whole batch.
 */
export function computeSpanMask(batch: number, time: number, config: Partial<SpanMaskConfig>, rng: Rng, lengths?: ArrayLike<number>): SpanMask {
  const c: SpanMaskConfig = { ...SPAN_MASK_DEFAULTS, ...config };
  validateConfig(c);
  if (lengths && lengths.length !== batch) throw new Error(`span mask: ${lengths.length} lengths for a batch of ${batch}`);
  const batchCount = lengths ? 0 : spanCount(time, c, rng);
  const perUtt: number[][] = [];
  for (let b = 0; b < batch; b++) {
    const size = lengths ? lengths[b] : time;
    if (!(Number.isInteger(size) && size >= 0 && size <= time)) throw new Error(`span mask: length ${size} of utterance ${b} is not an integer in [0, ${time}]`);
    const numMask = lengths ? spanCount(size, c, rng) : batchCount;
    perUtt.push(maskOneUtterance(size, numMask, c, rng));
  }
  const minCount = perUtt.length ? Math.min(...perUtt.map((m) => m.length)) : 0;
  const data = new Uint8Array(batch * time);
  for (let b = 0; b < batch; b++) {
    let idx = perUtt[b];
    if (c.requireSameMasks && idx.length > minCount) idx = Array.from(chooseDistinct(idx.length, minCount, rng), (i) => idx[i]);
    if (c.maskDropout > 0) {
      const holes = Math.round(idx.length * c.maskDropout);
      idx = Array.from(chooseDistinct(idx.length, idx.length - holes, rng), (i) => idx[i]);
    }
    for (const t of idx) data[b * time + t] = 1;
  }
  return { batch, time, data };
}

/** Valid frames per utterance from a [batch, time] padding mask (1 = padding, padding at the end). */
export function lengthsFromPaddingMask(padding: ArrayLike<number>, batch: number, time: number): Int32Array {
  if (padding.length !== batch * time) throw new Error(`padding mask has ${padding.length} entries, expected ${batch} x ${time}`);
  const out = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    let pad = 0;
    for (let t = 0; t < time; t++) if (padding[b * time + t] > 0) pad++;
    out[b] = time - pad;
  }
  return out;
}

/** The mask as a [batch, time] float32 tensor (1 = masked), as the encoders' `frameMask` expects. */
export function spanMaskTensor(mask: SpanMask): tf.Tensor2D {
  return tf.tensor2d(Float32Array.from(mask.data), [mask.batch, mask.time]);
}

/** Number of masked frames per utterance. */
export function maskedCounts(mask: SpanMask): Int32Array {
  const out = new Int32Array(mask.batch);
  for (let b = 0; b < mask.batch; b++) for (let t = 0; t < mask.time; t++) out[b] += mask.data[b * mask.time + t];
  return out;
}
