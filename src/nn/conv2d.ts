import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.ts';
import { Rng } from '../util/rng.ts';
import { initBias, initWeight, type WeightInit } from './init.ts';

export interface Conv2dOptions {
  stride?: number | [number, number];
  /** Zero padding [rows, cols] on each side (a number for both), or `same` / `valid`. */
  padding?: number | [number, number] | 'same' | 'valid';
  bias?: boolean;
  init?: WeightInit;
  rng?: Rng;
}

/**
 * 2-D convolution, channels last: x [B, H, W, Cin] -> [B, H', W', Cout]. Parameters `weight`
 * [KH, KW, Cin, Cout] (tfjs layout; PyTorch's is [Cout, Cin, KH, KW]) and `bias` [Cout].
 */
export class Conv2d extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;
  readonly stride: [number, number];
  private readonly pad: 'same' | 'valid' | tf.backend_util.ExplicitPadding;

  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize: number | [number, number], opts: Conv2dOptions = {}) {
    super();
    const [kh, kw] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    const s = opts.stride ?? 1;
    this.stride = typeof s === 'number' ? [s, s] : s;
    const p = opts.padding ?? 'valid';
    if (p === 'same' || p === 'valid') this.pad = p;
    else {
      const [ph, pw] = typeof p === 'number' ? [p, p] : p;
      this.pad = [[0, 0], [ph, ph], [pw, pw], [0, 0]];
    }
    const rng = opts.rng ?? new Rng(0);
    const fanIn = inChannels * kh * kw;
    this.weight = this.param('weight', initWeight(rng, [kh, kw, inChannels, outChannels], fanIn, outChannels * kh * kw, opts.init ?? 'torch'));
    this.bias = opts.bias === false ? null : this.param('bias', initBias(rng, outChannels, fanIn));
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    if (x.shape[3] !== this.inChannels) throw new Error(`Conv2d: input has ${x.shape[3]} channels, layer expects ${this.inChannels}`);
    return tf.tidy(() => {
      const y = tf.conv2d(x, this.weight as tf.Tensor4D, this.stride, this.pad, 'NHWC');
      return (this.bias ? tf.add(y, this.bias) : y) as tf.Tensor4D;
    });
  }
}
