import * as tf from '@tensorflow/tfjs-core';
import { rowCosine, scalarValue, stopGradient, l2Normalize, type LossResult } from './ops.ts';

/**
 * BYOL's regression loss (Grill et al. 2020, eq. 2): the online prediction q and the target projection
 * z' are l2-normalised and compared by squared distance,
 *
 *   L(q, z') = || q/||q|| - z'/||z'|| ||^2 = 2 - 2 cos(q, z'),
 *
 * averaged over the batch. The target passes no gradient (stop-gradient, applied here as well, so a
 * target computed inside the differentiated function is safe). The paper symmetrises by swapping the
 * views: L = L(q1, z'2) + L(q2, z'1), `byolSymmetricLoss`. Identical directions give 0, orthogonal 2,
 * opposite 4.
 */
export function byolLoss(prediction: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar {
  if (prediction.shape.join(',') !== target.shape.join(',')) throw new Error(`byol loss: prediction [${prediction.shape}] and target [${target.shape}] differ`);
  return tf.tidy(() => tf.mean(tf.sub(2, tf.mul(2, rowCosine(prediction, stopGradient(target))))) as tf.Scalar);
}

/** L(q1, z'2) + L(q2, z'1): predictions of each view regress the other view's target projection. */
export function byolSymmetricLoss(prediction1: tf.Tensor2D, prediction2: tf.Tensor2D, target1: tf.Tensor2D, target2: tf.Tensor2D): LossResult {
  const metrics: Record<string, number> = {};
  const loss = tf.tidy(() => {
    const a = byolLoss(prediction1, target2);
    const b = byolLoss(prediction2, target1);
    metrics.loss_12 = scalarValue(a);
    metrics.loss_21 = scalarValue(b);
    return tf.add(a, b) as tf.Scalar;
  });
  metrics.loss = metrics.loss_12 + metrics.loss_21;
  return { loss, metrics };
}

/**
 * Collapse monitor: the standard deviation over the batch of the l2-normalised embeddings, averaged
 * over dimensions (SimSiam's monitor). 0 when every embedding is the same; about 1/sqrt(D) when they
 * spread evenly over the sphere. Not differentiated (returns a number).
 */
export function normalizedEmbeddingStd(embeddings: tf.Tensor2D): number {
  const n = embeddings.shape[0];
  if (n < 2) return NaN;
  return tf.tidy(() => {
    const z = l2Normalize(embeddings);
    const centred = tf.sub(z, tf.mean(z, 0, true));
    const variance = tf.div(tf.sum(tf.square(centred), 0), n - 1);
    return scalarValue(tf.mean(tf.sqrt(variance)));
  });
}
