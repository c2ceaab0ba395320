import * as tf from '@tensorflow/tfjs-core';
import { l2Normalize, rowAccuracy, rowCrossEntropy, scalarValue, weightedMean, type LossResult } from './ops.ts';

/**
 * HuBERT's masked prediction loss (Hsu et al. 2021, eq. 1-3): the distribution over the C clusters of
 * frame t is
 *
 *   p(c | h_t) = exp(cos(A h_t, e_c) / tau) / sum_c' exp(cos(A h_t, e_c') / tau)
 *
 * with A the final projection, e_c the label (codeword) embeddings and tau = 0.1. The paper's loss is
 * L = alpha * L_m + (1 - alpha) * L_u, cross-entropy over masked (L_m) and unmasked (L_u) frames, and
 * it trains with alpha = 1; fairseq exposes the two weights separately (pred_masked_weight 1,
 * pred_nomask_weight 0), and so does this function.
 *
 * Here each term is a mean over its own frames (fairseq divides both sums by the masked-frame count;
 * the two agree whenever the unmasked weight is 0, the default). Frames whose label is negative are
 * padding and count nowhere.
 */
export interface HubertLossConfig {
  /** Logit temperature tau (fairseq logit_temp). */
  temperature: number;
  /** Weight of the masked-frame term (fairseq pred_masked_weight). */
  maskedWeight: number;
  /** Weight of the unmasked-frame term (fairseq pred_nomask_weight). */
  unmaskedWeight: number;
}

export const HUBERT_LOSS_DEFAULTS: HubertLossConfig = { temperature: 0.1, maskedWeight: 1, unmaskedWeight: 0 };

export interface HubertLossInput {
  /** Projected encoder output A h_t, [B, T, D] or [N, D]. */
  projected: tf.Tensor;
  /** Label embeddings e_c, [C, D]. */
  labelEmbeddings: tf.Tensor2D;
  /** Cluster ID per frame (N = B*T entries, row-major); negative = padding. */
  labels: ArrayLike<number>;
  /** 1 where the frame was masked (N entries). */
  mask: ArrayLike<number>;
}

/** cos(projected_n, e_c) / temperature for every frame n and class c: [N, C]. */
export function hubertLogits(projected: tf.Tensor, labelEmbeddings: tf.Tensor2D, temperature = HUBERT_LOSS_DEFAULTS.temperature): tf.Tensor2D {
  const d = projected.shape[projected.rank - 1];
  if (labelEmbeddings.shape[1] !== d) throw new Error(`hubert logits: projection width ${d} but label embeddings are [${labelEmbeddings.shape}]`);
  return tf.tidy(() => {
    const x = l2Normalize(tf.reshape(projected, [-1, d]) as tf.Tensor2D);
    const e = l2Normalize(labelEmbeddings);
    return tf.div(tf.matMul(x, e, false, true), temperature) as tf.Tensor2D;
  });
}

export function hubertPredictionLoss(input: HubertLossInput, config: Partial<HubertLossConfig> = {}): LossResult {
  const c: HubertLossConfig = { ...HUBERT_LOSS_DEFAULTS, ...config };
  const n = input.projected.size / input.projected.shape[input.projected.rank - 1];
  if (input.labels.length !== n) throw new Error(`hubert loss: ${input.labels.length} labels for ${n} frames`);
  if (input.mask.length !== n) throw new Error(`hubert loss: ${input.mask.length} mask entries for ${n} frames`);
  const numClasses = input.labelEmbeddings.shape[0];
  const masked = new Float32Array(n);
  const unmasked = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const l = input.labels[i];
    if (l >= numClasses) throw new Error(`hubert loss: label ${l} at frame ${i} but only ${numClasses} label embeddings`);
    if (l < 0) continue;
    if (input.mask[i] > 0) masked[i] = 1;
    else unmasked[i] = 1;
  }
  const metrics: Record<string, number> = {};
  const loss = tf.tidy(() => {
    const logits = hubertLogits(input.projected, input.labelEmbeddings, c.temperature);
    const ce = rowCrossEntropy(logits, input.labels);
    const lm = weightedMean(ce, masked);
    const lu = weightedMean(ce, unmasked);
    metrics.loss_masked = scalarValue(lm);
    metrics.loss_unmasked = scalarValue(lu);
    metrics.acc_masked = rowAccuracy(logits, input.labels, masked);
    metrics.acc_unmasked = rowAccuracy(logits, input.labels, unmasked);
    metrics.frames_masked = masked.reduce((a, b) => a + b, 0);
    metrics.frames_unmasked = unmasked.reduce((a, b) => a + b, 0);
    return tf.add(tf.mul(lm, c.maskedWeight), tf.mul(lu, c.unmaskedWeight)) as tf.Scalar;
  });
  return { loss, metrics };
}
