import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.ts';
import { Linear } from './linear.ts';
import { dropout } from './dropout.ts';
import { Rng } from '../util/rng.ts';
import type { WeightInit } from './init.ts';

export interface MultiHeadAttentionOptions {
  /** Dropout on the attention weights (training only). */
  dropout?: number;
  bias?: boolean;
  init?: WeightInit;
  /** Initial value of every bias instead of PyTorch's uniform draw (fairseq's BERT init uses 0). */
  biasValue?: number;
  rng?: Rng;
}

/** Additive bias that removes padded keys from the softmax (exp underflows to exactly 0). */
const MASKED = -1e9;

/**
 * Multi-head scaled dot-product self-attention (Vaswani et al. 2017) with key padding masks, laid out
 * as fairseq's MultiheadAttention: children `q_proj`, `k_proj`, `v_proj`, `out_proj` (Linear, weights
 * [in, out]); queries are scaled by head_dim^-0.5 after projection.
 */
export class MultiHeadAttention extends Module {
  readonly qProj: Linear;
  readonly kProj: Linear;
  readonly vProj: Linear;
  readonly outProj: Linear;
  readonly headDim: number;
  private readonly dropoutRng: Rng;

  constructor(readonly dim: number, readonly heads: number, readonly opts: MultiHeadAttentionOptions = {}) {
    super();
    if (dim % heads !== 0) throw new Error(`MultiHeadAttention: dim ${dim} is not divisible by heads ${heads}`);
    this.headDim = dim / heads;
    const rng = opts.rng ?? new Rng(0);
    const lin = { bias: opts.bias ?? true, init: opts.init, biasValue: opts.biasValue, rng };
    this.kProj = this.child('k_proj', new Linear(dim, dim, lin));
    this.vProj = this.child('v_proj', new Linear(dim, dim, lin));
    this.qProj = this.child('q_proj', new Linear(dim, dim, lin));
    this.outProj = this.child('out_proj', new Linear(dim, dim, lin));
    this.dropoutRng = rng.fork();
  }

  /**
   * x: [B, T, D]; keyPaddingMask: [B, T] with 1 where the frame is padding (those keys get no
   * attention). Returns [B, T, D].
   */
  forward(x: tf.Tensor3D, keyPaddingMask?: tf.Tensor): tf.Tensor3D {
    const [b, t, d] = x.shape;
    if (d !== this.dim) throw new Error(`MultiHeadAttention: input width ${d}, layer expects ${this.dim}`);
    if (keyPaddingMask && (keyPaddingMask.shape[0] !== b || keyPaddingMask.shape[1] !== t)) {
      throw new Error(`MultiHeadAttention: key padding mask has shape [${keyPaddingMask.shape}], expected [${b}, ${t}]`);
    }
    return tf.tidy(() => {
      const split = (y: tf.Tensor) => tf.transpose(tf.reshape(y, [b, t, this.heads, this.headDim]), [0, 2, 1, 3]);
      const q = split(tf.mul(this.qProj.forward(x), 1 / Math.sqrt(this.headDim)));
      const k = split(this.kProj.forward(x));
      const v = split(this.vProj.forward(x));
      let scores = tf.matMul(q, k, false, true); // [B, H, T, T]
      if (keyPaddingMask) scores = tf.add(scores, tf.reshape(tf.mul(tf.cast(keyPaddingMask, 'float32'), MASKED), [b, 1, 1, t]));
      let weights = tf.softmax(scores, -1);
      const p = this.opts.dropout ?? 0;
      if (this.training && p > 0) weights = dropout(weights, p, this.dropoutRng);
      const context = tf.reshape(tf.transpose(tf.matMul(weights, v), [0, 2, 1, 3]), [b, t, d]);
      return this.outProj.forward(context) as tf.Tensor3D;
    });
  }
}
