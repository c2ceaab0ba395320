import * as tf from '@tensorflow/tfjs-core';

/**
 * One vector per item from frame (or patch) vectors [B, T, D]: the mean, the max, or their sum (BYOL-A's
 * "mean + max" temporal pooling). With a padding mask [B, T] (1 = padding) only real frames count.
 */
export type Pooling = 'mean' | 'max' | 'mean+max';
export const POOLINGS: readonly Pooling[] = ['mean', 'max', 'mean+max'];

export function poolFrames(h: tf.Tensor3D, pooling: Pooling, paddingMask?: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const keep = paddingMask ? tf.expandDims(tf.sub(1, paddingMask), 2) : undefined;
    const mean = () => (keep ? tf.div(tf.sum(tf.mul(h, keep), 1), tf.maximum(tf.sum(keep, 1), 1)) : tf.mean(h, 1));
    const max = () => tf.max(keep ? tf.add(h, tf.mul(tf.sub(keep, 1), 1e9)) : h, 1);
    if (pooling === 'mean') return mean() as tf.Tensor2D;
    if (pooling === 'max') return max() as tf.Tensor2D;
    return tf.add(mean(), max()) as tf.Tensor2D;
  });
}
