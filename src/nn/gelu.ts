import * as tf from '@tensorflow/tfjs-core';
import { GELU_KERNEL, GELU_GRAD_KERNEL, hasGeluKernels } from '../engine/gelu-kernels.ts';

const INV_SQRT2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * GELU in its exact form, x * Phi(x) with Phi the standard normal CDF = (1 + erf(x / sqrt 2)) / 2 —
 * PyTorch's default (`approximate='none'`), not the tanh approximation. The gradient
 * Phi(x) + x * phi(x) is written out so that the backward pass reuses Phi from the forward pass.
 */
const geluComposite: (x: tf.Tensor) => tf.Tensor = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
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

/** The same function on the engine's GELU kernels (one pass forward, one backward; engine/gelu-kernels.ts). */
const geluKernels: (x: tf.Tensor) => tf.Tensor = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  save([x]);
  return {
    value: tf.engine().runKernel(GELU_KERNEL, { x }, {}) as tf.Tensor,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.engine().runKernel(GELU_GRAD_KERNEL, { dy, x: saved[0] }, {}) as tf.Tensor,
  };
}) as (x: tf.Tensor) => tf.Tensor;

/**
 * GELU, exact form. Runs on the engine's GELU kernels where the backend has them (wasm and cpu once the
 * engine's fast paths are installed), else on the composite Erf/Exp form above.
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  return x.dtype === 'float32' && hasGeluKernels() ? geluKernels(x) : geluComposite(x);
}

/** The composite form, whatever the backend has (tests compare the two). */
export { geluComposite };

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
