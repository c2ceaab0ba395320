import * as tf from '@tensorflow/tfjs-core';

const INV_SQRT2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * GELU in its exact form, x * Phi(x) with Phi the standard normal CDF = (1 + erf(x / sqrt 2)) / 2 —
 * PyTorch's default (`approximate='none'`), not the tanh approximation. The gradient
 * Phi(x) + x * phi(x) is written out so that the backward pass reuses Phi from the forward pass.
 */
export const gelu: (x: tf.Tensor) => tf.Tensor = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  const cdf = tf.mul(tf.add(tf.erf(tf.mul(x, INV_SQRT2)), 1), 0.5);
  save([x, cdf]);
  return {
    value: tf.mul(x, cdf),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, c] = saved;
      const pdf = tf.mul(tf.exp(tf.mul(tf.square(xs), -0.5)), INV_SQRT_2PI);
      return tf.mul(dy, tf.add(c, tf.mul(xs, pdf)));
    },
  };
}) as (x: tf.Tensor) => tf.Tensor;

/** Module-free activation registry used by configs (`activation: "gelu"`). */
export type Activation = 'gelu' | 'relu' | 'tanh' | 'identity';

export function activate(x: tf.Tensor, kind: Activation): tf.Tensor {
  switch (kind) {
    case 'gelu':
      return gelu(x);
    case 'relu':
      return tf.relu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'identity':
      return x;
  }
}
