import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.ts';
import { Rng } from '../util/rng.ts';
import { initBias, initWeight, type WeightInit } from './init.ts';

export interface Conv1dOptions {
  stride?: number;
  /** Frames of zero padding on each side, or `same` (output length ceil(T / stride)), or `valid` (0). */
  padding?: number | 'same' | 'valid';
  dilation?: number;
  groups?: number;
  bias?: boolean;
  init?: WeightInit;
  /**
   * Weight normalisation (Salimans & Kingma 2016) as torch.nn.utils.weight_norm(conv, dim=2): the
   * weight is g * v / ||v|| with one g per kernel tap; parameters `weight_g` [K, 1, 1] and `weight_v`.
   */
  weightNorm?: boolean;
  rng?: Rng;
}

/**
 * 1-D convolution over time, channels last: x [B, T, Cin] -> [B, T', Cout].
 * Parameters: `weight` [K, Cin/groups, Cout] (tfjs layout; PyTorch's is [Cout, Cin/groups, K]) and
 * `bias` [Cout]. Groups split the input and output channels into `groups` independent convolutions
 * (output channels g*Cout/groups.. belong to group g, as in PyTorch).
 */
export class Conv1d extends Module {
  readonly weight: tf.Variable | null = null;
  readonly weightG: tf.Variable | null = null;
  readonly weightV: tf.Variable | null = null;
  readonly bias: tf.Variable | null;
  readonly stride: number;
  readonly dilation: number;
  readonly groups: number;
  readonly padLeft: number;
  readonly padRight: number;
  private readonly same: boolean;

  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize: number, opts: Conv1dOptions = {}) {
    super();
    this.stride = opts.stride ?? 1;
    this.dilation = opts.dilation ?? 1;
    this.groups = opts.groups ?? 1;
    if (inChannels % this.groups || outChannels % this.groups) throw new Error(`Conv1d: channels ${inChannels} -> ${outChannels} not divisible by groups ${this.groups}`);
    const pad = opts.padding ?? 'valid';
    this.same = pad === 'same';
    const p = typeof pad === 'number' ? pad : 0;
    this.padLeft = p;
    this.padRight = p;
    const rng = opts.rng ?? new Rng(0);
    const cinG = inChannels / this.groups;
    const fanIn = cinG * kernelSize;
    const w = initWeight(rng, [kernelSize, cinG, outChannels], fanIn, (outChannels / this.groups) * kernelSize, opts.init ?? 'torch');
    if (opts.weightNorm) {
      const g = tf.tidy(() => tf.sqrt(tf.sum(tf.square(w), [1, 2], true)));
      this.weightG = this.param('weight_g', g);
      this.weightV = this.param('weight_v', w);
    } else {
      this.weight = this.param('weight', w);
    }
    this.bias = opts.bias === false ? null : this.param('bias', initBias(rng, outChannels, fanIn));
  }

  /** The effective kernel [K, Cin/groups, Cout] (weight-normalised when configured). */
  kernel(): tf.Tensor3D {
    if (this.weight) return this.weight as tf.Tensor3D;
    const v = this.weightV as tf.Variable;
    return tf.tidy(() => tf.mul(v, tf.div(this.weightG as tf.Variable, tf.sqrt(tf.sum(tf.square(v), [1, 2], true))))) as tf.Tensor3D;
  }

  /** Output frames for `length` input frames. */
  outputLength(length: number): number {
    if (this.same) return Math.ceil(length / this.stride);
    const span = this.dilation * (this.kernelSize - 1) + 1;
    return Math.max(0, Math.floor((length + this.padLeft + this.padRight - span) / this.stride) + 1);
  }

  private pads(length: number): [number, number] {
    if (!this.same) return [this.padLeft, this.padRight];
    const out = Math.ceil(length / this.stride);
    const total = Math.max(0, (out - 1) * this.stride + this.dilation * (this.kernelSize - 1) + 1 - length);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  }

  forward(x: tf.Tensor3D): tf.Tensor3D {
    const [b, t, c] = x.shape;
    if (c !== this.inChannels) throw new Error(`Conv1d: input has ${c} channels, layer expects ${this.inChannels}`);
    return tf.tidy(() => {
      const [pl, pr] = this.pads(t);
      const x4 = tf.reshape(x, [b, 1, t, c]) as tf.Tensor4D;
      const k = this.kernel();
      const pad: tf.backend_util.ExplicitPadding = [[0, 0], [0, 0], [pl, pr], [0, 0]];
      const conv = (xi: tf.Tensor4D, ki: tf.Tensor3D) =>
        tf.conv2d(xi, tf.expandDims(ki, 0) as tf.Tensor4D, [1, this.stride], pad, 'NHWC', [1, this.dilation]);
      let y: tf.Tensor4D;
      if (this.groups === 1) y = conv(x4, k);
      else {
        const xs = tf.split(x4, this.groups, 3) as tf.Tensor4D[];
        const ks = tf.split(k, this.groups, 2) as tf.Tensor3D[];
        y = tf.concat(xs.map((xi, g) => conv(xi, ks[g])), 3);
      }
      let out = tf.reshape(y, [b, y.shape[2], this.outChannels]);
      if (this.bias) out = tf.add(out, this.bias);
      return out as tf.Tensor3D;
    });
  }
}
