import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.ts';

/**
 * Group normalisation over time for channels-last sequences, x [B, T, C] (Wu & He 2018), as
 * torch.nn.GroupNorm on [B, C, T]: statistics per sample and group over (time, channels in the group),
 * biased variance, then a per-channel affine `weight` (ones) and `bias` (zeros). With groups = C this is
 * the normalisation of fairseq's waveform feature extractor, layer 0 ("default" mode).
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
    const [b, t, c] = x.shape;
    if (c !== this.channels) throw new Error(`GroupNorm: input has ${c} channels, layer expects ${this.channels}`);
    return tf.tidy(() => {
      const g = tf.reshape(x, [b, t, this.groups, c / this.groups]);
      const { mean, variance } = tf.moments(g, [1, 3], true);
      const normed = tf.reshape(tf.mul(tf.sub(g, mean), tf.rsqrt(tf.add(variance, this.eps))), [b, t, c]);
      return tf.add(tf.mul(normed, this.weight), this.bias) as tf.Tensor3D;
    });
  }
}
