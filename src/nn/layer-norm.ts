import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.ts';
import { LAYER_NORM_KERNEL, LAYER_NORM_GRAD_KERNEL, hasLayerNormKernels } from '../engine/layer-norm-kernels.ts';

/**
 * Layer normalisation over the last axis (Ba et al. 2016), as torch.nn.LayerNorm: biased variance,
 * `eps` inside the square root. Parameters `weight` (gain, ones) and `bias` (zeros), both [dim].
 * The gradient is written out (one pass over the normalised input) rather than left to autodiff, which
 * would differentiate mean and variance separately with about twice the kernels.
 */
export function layerNorm(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, eps = 1e-5): tf.Tensor {
  if (x.dtype === 'float32' && hasLayerNormKernels()) return layerNormByKernels(x, weight, bias, eps);
  return layerNormComposite(x, weight, bias, eps);
}

/** The same function on the engine's layer-norm kernels (engine/layer-norm-kernels.ts): one forward, one backward. */
function layerNormByKernels(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, eps: number): tf.Tensor {
  const fn = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xIn, w, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const [y, mean, rstd] = tf.engine().runKernel(LAYER_NORM_KERNEL, { x: xIn, weight: w, bias: b }, { eps }) as tf.Tensor[];
    save([xIn, mean, rstd, w]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, m, rs, wt] = saved;
        return tf.engine().runKernel(LAYER_NORM_GRAD_KERNEL, { dy, x: xs, mean: m, rstd: rs, weight: wt }, {}) as tf.Tensor[];
      },
    };
  });
  return fn(x, weight, bias);
}

/** The composite form, whatever the backend has (tests compare the two). */
export function layerNormComposite(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, eps = 1e-5): tf.Tensor {
  const dim = x.shape[x.shape.length - 1];
  const fn = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xIn, w, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const mean = tf.mean(xIn, -1, true);
    const centred = tf.sub(xIn, mean);
    const variance = tf.mean(tf.square(centred), -1, true);
    const rstd = tf.rsqrt(tf.add(variance, eps));
    const xhat = tf.mul(centred, rstd);
    save([xhat, rstd, w]);
    return {
      value: tf.add(tf.mul(xhat, w), b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, rs, wt] = saved;
        const rows = dy.size / dim;
        const dy2 = tf.reshape(dy, [rows, dim]);
        const xh2 = tf.reshape(xh, [rows, dim]);
        const dxhat = tf.mul(dy2, wt);
        const meanD = tf.mean(dxhat, -1, true);
        const meanDX = tf.mean(tf.mul(dxhat, xh2), -1, true);
        const dx = tf.mul(tf.sub(tf.sub(dxhat, meanD), tf.mul(xh2, meanDX)), tf.reshape(rs, [rows, 1]));
        const dw = tf.sum(tf.mul(dy2, xh2), 0);
        const db = tf.sum(dy2, 0);
        return [tf.reshape(dx, xIn.shape), dw, db];
      },
    };
  });
  return fn(x, weight, bias);
}

export class LayerNorm extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;

  constructor(readonly dim: number, readonly eps = 1e-5) {
    super();
    this.weight = this.param('weight', tf.ones([dim]));
    this.bias = this.param('bias', tf.zeros([dim]));
  }

  forward(x: tf.Tensor): tf.Tensor {
    const last = x.shape[x.shape.length - 1];
    if (last !== this.dim) throw new Error(`LayerNorm: input has ${last} features on its last axis, layer expects ${this.dim}`);
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}
