import * as tf from '@tensorflow/tfjs-core';
import { weightedMean } from './ops.ts';

/**
 * The feature penalty of wav2vec 2.0 and HuBERT: the mean square of the local features (the conv
 * feature encoder's output, before the projection), added to the loss with a weight (fairseq's
 * feature_pen weight is 10 for HuBERT base, in `loss_weights`). It keeps the feature encoder's output
 * from growing without bound.
 *
 *   penalty = mean_{t, d} f_{t,d}^2
 *
 * fairseq averages over every frame including padding; pass `validFrames` (one entry per frame of a
 * [B, T, D] input, 1 = real) to average over real frames only.
 */
export function featurePenalty(features: tf.Tensor, validFrames?: ArrayLike<number>): tf.Scalar {
  return tf.tidy(() => {
    if (!validFrames) return tf.mean(tf.square(features)) as tf.Scalar;
    const d = features.shape[features.rank - 1];
    const perFrame = tf.mean(tf.square(tf.reshape(features, [-1, d])), -1);
    return weightedMean(perFrame, validFrames);
  });
}
