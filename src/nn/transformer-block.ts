import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.ts';
import { Linear } from './linear.ts';
import { LayerNorm } from './layer-norm.ts';
import { MultiHeadAttention } from './attention.ts';
import { dropout } from './dropout.ts';
import { activate, type Activation } from './gelu.ts';
import { Rng } from '../util/rng.ts';
import type { WeightInit } from './init.ts';

export interface TransformerBlockOptions {
  dim: number;
  heads: number;
  ffnDim: number;
  /** Pre-LN (x + f(LN(x)), default) or post-LN (LN(x + f(x)), fairseq HuBERT/wav2vec 2.0 base). */
  normFirst?: boolean;
  /** Dropout after attention and after the feed-forward block. */
  dropout?: number;
  attentionDropout?: number;
  /** Dropout after the feed-forward activation. */
  activationDropout?: number;
  activation?: Activation;
  init?: WeightInit;
  /** Initial value of every bias instead of PyTorch's uniform draw (fairseq's BERT init uses 0). */
  biasValue?: number;
  rng?: Rng;
}

/**
 * One transformer encoder layer, named as fairseq's TransformerSentenceEncoderLayer: `self_attn`,
 * `self_attn_layer_norm`, `fc1`, `fc2`, `final_layer_norm`.
 *   pre-LN:  h = x + Drop(MHA(LN1(x)));  y = h + Drop(FC2(Drop(act(FC1(LN2(h))))))
 *   post-LN: h = LN1(x + Drop(MHA(x)));  y = LN2(h + Drop(FC2(Drop(act(FC1(h))))))
 */
export class TransformerBlock extends Module {
  readonly selfAttn: MultiHeadAttention;
  readonly attnNorm: LayerNorm;
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly ffnNorm: LayerNorm;
  private readonly rng: Rng;

  constructor(readonly opts: TransformerBlockOptions) {
    super();
    const rng = opts.rng ?? new Rng(0);
    this.selfAttn = this.child('self_attn', new MultiHeadAttention(opts.dim, opts.heads, { dropout: opts.attentionDropout, init: opts.init, biasValue: opts.biasValue, rng: rng.fork() }));
    this.attnNorm = this.child('self_attn_layer_norm', new LayerNorm(opts.dim));
    this.fc1 = this.child('fc1', new Linear(opts.dim, opts.ffnDim, { init: opts.init, biasValue: opts.biasValue, rng }));
    this.fc2 = this.child('fc2', new Linear(opts.ffnDim, opts.dim, { init: opts.init, biasValue: opts.biasValue, rng }));
    this.ffnNorm = this.child('final_layer_norm', new LayerNorm(opts.dim));
    this.rng = rng.fork();
  }

  private drop(x: tf.Tensor, p: number | undefined): tf.Tensor {
    return this.training && p && p > 0 ? dropout(x, p, this.rng) : x;
  }

  private feedForward(x: tf.Tensor): tf.Tensor {
    const h = activate(this.fc1.forward(x), this.opts.activation ?? 'gelu');
    return this.drop(this.fc2.forward(this.drop(h, this.opts.activationDropout)), this.opts.dropout);
  }

  /** x: [B, T, D]; keyPaddingMask: [B, T], 1 = padding. */
  forward(x: tf.Tensor3D, keyPaddingMask?: tf.Tensor): tf.Tensor3D {
    return tf.tidy(() => {
      if (this.opts.normFirst ?? true) {
        const h = tf.add(x, this.drop(this.selfAttn.forward(this.attnNorm.forward(x) as tf.Tensor3D, keyPaddingMask), this.opts.dropout));
        return tf.add(h, this.feedForward(this.ffnNorm.forward(h))) as tf.Tensor3D;
      }
      const h = this.attnNorm.forward(tf.add(x, this.drop(this.selfAttn.forward(x, keyPaddingMask), this.opts.dropout)));
      return this.ffnNorm.forward(tf.add(h, this.feedForward(h))) as tf.Tensor3D;
    });
  }
}
