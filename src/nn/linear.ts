import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.ts';
import { Rng } from '../util/rng.ts';
import { initBias, initWeight, type WeightInit } from './init.ts';

export interface LinearOptions {
  bias?: boolean;
  init?: WeightInit;
  /** Initial bias value instead of PyTorch's uniform draw (fairseq zeroes biases). */
  biasValue?: number;
  rng?: Rng;
}

/**
 * y = x W + b over the last axis. Parameters: `weight` [in, out] — the transpose of PyTorch's
 * nn.Linear layout [out, in], so that the forward pass is a plain product (no transposed operand) and
 * an ONNX MatMul takes the weight as it is — and `bias` [out].
 */
export class Linear extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: LinearOptions = {}) {
    super();
    const rng = opts.rng ?? new Rng(0);
    this.weight = this.param('weight', initWeight(rng, [inFeatures, outFeatures], inFeatures, outFeatures, opts.init ?? 'torch'));
    this.bias = opts.bias === false ? null : this.param('bias', opts.biasValue !== undefined ? tf.fill([outFeatures], opts.biasValue) : initBias(rng, outFeatures, inFeatures));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const lead = x.shape.slice(0, -1);
      const last = x.shape[x.shape.length - 1];
      if (last !== this.inFeatures) throw new Error(`Linear: input has ${last} features on its last axis, layer expects ${this.inFeatures}`);
      const x2 = tf.reshape(x, [-1, this.inFeatures]) as tf.Tensor2D;
      const y = tf.fused.matMul({ a: x2, b: this.weight as tf.Tensor2D, bias: this.bias ?? undefined });
      return tf.reshape(y, [...lead, this.outFeatures]);
    });
  }
}
