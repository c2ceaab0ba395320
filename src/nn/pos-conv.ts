import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.ts';
import { Conv1d } from './conv1d.ts';
import { gelu } from './gelu.ts';
import { Rng } from '../util/rng.ts';

export interface ConvPositionalEmbeddingOptions {
  /** Kernel width in frames (128 in wav2vec 2.0 / HuBERT base). */
  kernelSize?: number;
  /** Convolution groups (16 in base). */
  groups?: number;
  weightNorm?: boolean;
  rng?: Rng;
}

/**
 * Convolutional relative positional embedding of wav2vec 2.0 / HuBERT (Baevski et al. 2020, sec. 2):
 * a grouped convolution over time with padding kernel/2, the extra last frame of an even kernel removed
 * ("SamePad"), then GELU. Returns the embedding only; the encoder adds it to its input. Child `0` is the
 * convolution, so the names match fairseq's `pos_conv.0.weight_g / weight_v / bias`. Initialised as
 * fairseq: normal(0, sqrt(4 / (kernel * dim))), bias 0.
 */
export class ConvPositionalEmbedding extends Module {
  readonly conv: Conv1d;
  readonly kernelSize: number;

  constructor(readonly dim: number, opts: ConvPositionalEmbeddingOptions = {}) {
    super();
    this.kernelSize = opts.kernelSize ?? 128;
    const groups = opts.groups ?? 16;
    const std = Math.sqrt(4 / (this.kernelSize * dim));
    this.conv = this.child(
      '0',
      new Conv1d(dim, dim, this.kernelSize, { padding: Math.floor(this.kernelSize / 2), groups, weightNorm: opts.weightNorm ?? true, init: { normalStd: std }, rng: opts.rng }),
    );
    if (this.conv.bias) this.conv.bias.assign(tf.zerosLike(this.conv.bias));
  }

  /** x: [B, T, D] -> [B, T, D]. */
  forward(x: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => {
      let y = this.conv.forward(x);
      if (this.kernelSize % 2 === 0) y = tf.slice(y, [0, 0, 0], [-1, x.shape[1], -1]);
      return gelu(y) as tf.Tensor3D;
    });
  }
}
