import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../util/rng.ts';
import { anchorSimilarity, duplicatesOfPositive, type NegativeSampler } from '../negatives.ts';
import { infoNceFromScores } from './info-nce.ts';
import { l2Normalize, type LossResult } from './ops.ts';

/**
 * wav2vec 2.0's contrastive loss (Baevski et al. 2020, eq. 3): for every masked frame t, with c_t the
 * (projected) context output, q_t the (projected) quantized target and Q_t = {q_t} + K distractors,
 *
 *   L_m = -log exp(sim(c_t, q_t)/kappa) / sum_{q~ in Q_t} exp(sim(c_t, q~)/kappa),
 *
 * sim the cosine similarity, kappa = 0.1, K = 100 distractors drawn uniformly from the other masked
 * frames of the same utterance (strategy `same-utterance`; fairseq `sample_negatives`). A distractor
 * whose vector equals q_t exactly (quantized targets repeat) gets logit -inf, as fairseq's neg_is_pos.
 * The loss is the mean over masked frames; the total wav2vec 2.0 loss adds 0.1 x the diversity loss
 * and the feature penalty (`diversity.ts`, `feature-penalty.ts`).
 * Metrics: loss, acc (positive strictly above every distractor), duplicates (share of excluded draws).
 */
export interface Wav2vec2ContrastiveConfig {
  temperature: number;
  numNegatives: number;
}

export const WAV2VEC2_CONTRASTIVE_DEFAULTS: Wav2vec2ContrastiveConfig = { temperature: 0.1, numNegatives: 100 };

export interface Wav2vec2ContrastiveInput {
  /** Projected context output c, [B, T, D]. */
  context: tf.Tensor3D;
  /** Projected quantized targets q, [B, T, D] (only masked frames are read). */
  targets: tf.Tensor3D;
  /** 1 where the frame was masked, B*T entries row-major. */
  mask: ArrayLike<number>;
}

export function wav2vec2ContrastiveLoss(input: Wav2vec2ContrastiveInput, sampler: NegativeSampler, rng: Rng, config: Partial<Wav2vec2ContrastiveConfig> = {}): LossResult {
  const c: Wav2vec2ContrastiveConfig = { ...WAV2VEC2_CONTRASTIVE_DEFAULTS, ...config };
  if (!(c.temperature > 0)) throw new Error(`wav2vec2 loss: temperature must be positive, got ${c.temperature}`);
  const [b, t, d] = input.context.shape;
  if (input.targets.shape.join(',') !== input.context.shape.join(',')) throw new Error(`wav2vec2 loss: context [${input.context.shape}] and targets [${input.targets.shape}] differ`);
  if (input.mask.length !== b * t) throw new Error(`wav2vec2 loss: ${input.mask.length} mask entries for ${b} x ${t} frames`);
  const candidateUtterance = new Int32Array(b * t).fill(-1);
  const rows: number[] = [];
  const anchorUtt: number[] = [];
  for (let u = 0; u < b; u++) {
    for (let i = 0; i < t; i++) {
      if (!(input.mask[u * t + i] > 0)) continue;
      candidateUtterance[u * t + i] = u;
      rows.push(u * t + i);
      anchorUtt.push(u);
    }
  }
  if (rows.length < 2) throw new Error(`wav2vec2 loss: ${rows.length} masked frame(s) in the batch; distractors need at least two`);
  const anchorRows = Int32Array.from(rows);
  const metrics: Record<string, number> = {};
  const loss = tf.tidy(() => {
    const x = l2Normalize(tf.reshape(input.context, [b * t, d]) as tf.Tensor2D);
    const y2 = tf.reshape(input.targets, [b * t, d]) as tf.Tensor2D;
    const y = l2Normalize(y2);
    const scores = tf.div(tf.matMul(x, y, false, true), c.temperature) as tf.Tensor2D; // [BT, BT]
    const similarity = sampler.needsSimilarity ? anchorSimilarity(scores, anchorRows) : undefined;
    const negatives = sampler.sample({ anchorUtterance: anchorUtt, positive: anchorRows, candidateUtterance, similarity }, c.numNegatives, rng);
    const excluded = duplicatesOfPositive(y2.dataSync() as Float32Array, d, anchorRows, negatives);
    const out = infoNceFromScores({ scores, rows: anchorRows, positive: anchorRows, negatives, excluded });
    metrics.loss = out.metrics.loss;
    metrics.acc = out.metrics.acc;
    metrics.duplicates = excluded.reduce((s, v) => s + v, 0) / excluded.length;
    return out.loss;
  });
  return { loss, metrics };
}
