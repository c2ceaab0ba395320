import * as tf from '@tensorflow/tfjs-core';
import { rowCosine, scalarValue, stopGradient, weightedMean, type LossResult } from './ops.ts';

/**
 * DistilHuBERT's layer-wise distillation loss (Chang et al. 2022, eq. 1): for each predicted teacher
 * layer l, with prediction h_t^(l) and teacher target y_t^(l) of dimension D over T frames,
 *
 *   L^(l) = (1/T) sum_t [ (1/D) ||h_t - y_t||_1 - lambda * log sigmoid(cos(h_t, y_t)) ],
 *
 * summed over the predicted layers, lambda = 1. Targets pass no gradient (the teacher is frozen).
 * `validFrames` (one entry per frame, 1 = real) restricts the means to real frames. Metrics per
 * layer index i (order of the arrays): l1_i, cos_i (mean cosine similarity), loss_i.
 */
export interface DistilConfig {
  /** Weight lambda of the cosine term. */
  cosineWeight: number;
  /** Weight of the L1 term. */
  l1Weight: number;
}

export const DISTILL_LOSS_DEFAULTS: DistilConfig = { cosineWeight: 1, l1Weight: 1 };

export function distilHubertLoss(predictions: tf.Tensor[], targets: tf.Tensor[], config: Partial<DistilConfig> = {}, validFrames?: ArrayLike<number>): LossResult {
  const c: DistilConfig = { ...DISTILL_LOSS_DEFAULTS, ...config };
  if (predictions.length !== targets.length || predictions.length === 0) throw new Error(`distillation loss: ${predictions.length} predictions for ${targets.length} targets (need the same non-zero number)`);
  const metrics: Record<string, number> = {};
  const loss = tf.tidy(() => {
    let total: tf.Scalar = tf.scalar(0);
    predictions.forEach((p, i) => {
      const t = targets[i];
      if (p.shape.join(',') !== t.shape.join(',')) throw new Error(`distillation loss: layer ${i}: prediction [${p.shape}] and target [${t.shape}] differ`);
      const d = p.shape[p.rank - 1];
      const frames = p.size / d;
      const w = validFrames ?? new Float32Array(frames).fill(1);
      if (w.length !== frames) throw new Error(`distillation loss: ${w.length} frame flags for ${frames} frames`);
      const pf = tf.reshape(p, [frames, d]);
      const tf_ = stopGradient(tf.reshape(t, [frames, d]));
      const l1 = weightedMean(tf.mean(tf.abs(tf.sub(pf, tf_)), -1), w);
      const cos = rowCosine(pf, tf_);
      // -log sigmoid(x) = softplus(-x); tf.logSigmoid's custom gradient reads a freed tensor on wasm.
      const cosTerm = weightedMean(tf.softplus(tf.neg(cos)), w);
      const layer = tf.add(tf.mul(l1, c.l1Weight), tf.mul(cosTerm, c.cosineWeight)) as tf.Scalar;
      metrics[`l1_${i}`] = scalarValue(l1);
      metrics[`cos_${i}`] = scalarValue(weightedMean(cos, w));
      metrics[`loss_${i}`] = scalarValue(layer);
      total = tf.add(total, layer) as tf.Scalar;
    });
    metrics.loss = scalarValue(total);
    return total;
  });
  return { loss, metrics };
}
