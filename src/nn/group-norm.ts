import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.ts';
import { GROUP_NORM_GRAD_KERNEL, GROUP_NORM_KERNEL, hasGroupNormKernels } from '../engine/group-norm-kernels.ts';

/**
 * Group normalisation over time for channels-last sequences, x [B, T, C] (Wu & He 2018), as
 * torch.nn.GroupNorm on [B, C, T]: statistics per sample and group over (time, channels in the group),
 * biased variance, then a per-channel affine `weight` (ones) and `bias` (zeros). With groups = C this is
 * the normalisation of fairseq's waveform feature extractor, layer 0 ("default" mode).
 * Where the backend has the engine's group-norm kernels (engine/group-norm-kernels.ts: one forward, one
 * backward) they compute it; else the composite form below.
 */
export class GroupNorm extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;

  constructor(readonly groups: number, readonly channels: number, readonly eps = 1e-5) {
    super();
    if (channels % groups) throw new Error(`GroupNorm: ${channels} channels not divisible by ${groups} groups`);
    this.weight = this.param('weight', tf.ones([channels]));
    this.bias = this.param('bias', tf.zeros([channels]));
  }

  forward(x: tf.Tensor3D): tf.Tensor3D {
    const c = x.shape[2];
    if (c !== this.channels) throw new Error(`GroupNorm: input has ${c} channels, layer expects ${this.channels}`);
    if (x.dtype === 'float32' && hasGroupNormKernels()) return groupNormByKernels(x, this.weight, this.bias, this.groups, this.eps);
    return groupNormComposite(x, this.weight, this.bias, this.groups, this.eps);
  }
}

/** Group norm on the engine's kernels: one forward, one backward. */
function groupNormByKernels(x: tf.Tensor3D, weight: tf.Tensor, bias: tf.Tensor, groups: number, eps: number): tf.Tensor3D {
  const fn = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xIn, w, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const [y, mean, rstd] = tf.engine().runKernel(GROUP_NORM_KERNEL, { x: xIn, weight: w, bias: b }, { groups, eps }) as tf.Tensor[];
    save([xIn, mean, rstd, w]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, m, rs, wt] = saved;
        return tf.engine().runKernel(GROUP_NORM_GRAD_KERNEL, { dy, x: xs, mean: m, rstd: rs, weight: wt }, { groups }) as tf.Tensor[];
      },
    };
  });
  return fn(x, weight, bias) as tf.Tensor3D;
}

/** The composite form, whatever the backend has (tests compare the two). */
export function groupNormComposite(x: tf.Tensor3D, weight: tf.Tensor, bias: tf.Tensor, groups: number, eps = 1e-5): tf.Tensor3D {
  const [b, t, c] = x.shape;
  return tf.tidy(() => {
    const g = tf.reshape(x, [b, t, groups, c / groups]);
    const { mean, variance } = tf.moments(g, [1, 3], true);
    const normed = tf.reshape(tf.mul(tf.sub(g, mean), tf.rsqrt(tf.add(variance, eps))), [b, t, c]);
    return tf.add(tf.mul(normed, weight), bias) as tf.Tensor3D;
  });
}
