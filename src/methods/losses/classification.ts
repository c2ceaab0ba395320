import * as tf from '@tensorflow/tfjs-core';
import { rowAccuracy, rowCrossEntropy, scalarValue, weightedMean, type LossResult } from './ops.ts';

/**
 * Plain softmax cross-entropy for the pretext classification tasks (rotation: 4 classes, relative
 * patch position: 8, temporal gap: one class per gap bin), with top-1 accuracy.
 *
 *   L = -(1/N) sum_i log softmax(logits_i)[y_i]
 *
 * Rows whose label is negative are ignored (padding). Accuracy counts a row correct when its label's
 * logit is the strict maximum.
 */
export function classificationLoss(logits: tf.Tensor2D, labels: ArrayLike<number>): LossResult {
  const n = logits.shape[0];
  if (labels.length !== n) throw new Error(`classification loss: ${labels.length} labels for ${n} rows of logits`);
  const valid = new Float32Array(n);
  for (let i = 0; i < n; i++) valid[i] = labels[i] >= 0 ? 1 : 0;
  const metrics: Record<string, number> = {};
  const loss = tf.tidy(() => {
    const l = weightedMean(rowCrossEntropy(logits, labels), valid);
    metrics.loss = scalarValue(l);
    metrics.acc = rowAccuracy(logits, labels, valid);
    return l;
  });
  return { loss, metrics };
}
