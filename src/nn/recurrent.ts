import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.ts';
import { Rng } from '../util/rng.ts';
import { uniform } from './init.ts';

export interface RecurrentOptions {
  numLayers?: number;
  rng?: Rng;
}

export interface RecurrentOutput {
  /** [B, T, H] outputs of the last layer. */
  output: tf.Tensor3D;
  /** [B, T, H] outputs of each layer, in order. */
  layers: tf.Tensor3D[];
}

/**
 * Shared shape of GRU and LSTM: batch-first, `numLayers` stacked layers, PyTorch parameter names
 * `weight_ih_l{k}` [in, G*H], `weight_hh_l{k}` [H, G*H], `bias_ih_l{k}`, `bias_hh_l{k}` [G*H] with G gates
 * (weights are the transpose of PyTorch's [G*H, in], gate blocks in PyTorch's order). Initialised as
 * PyTorch: U(-1/sqrt(H), 1/sqrt(H)). The input-side product of every frame is one matrix product before
 * the time loop; the loop does the recurrent product and the gates. With a padding mask ([B, T], 1 =
 * padding), a padded frame keeps the previous state, so the state after the last real frame is carried.
 */
export abstract class Recurrent extends Module {
  readonly numLayers: number;
  protected readonly weights: { wih: tf.Variable; whh: tf.Variable; bih: tf.Variable; bhh: tf.Variable }[] = [];

  constructor(readonly inputSize: number, readonly hiddenSize: number, readonly gates: number, opts: RecurrentOptions) {
    super();
    this.numLayers = opts.numLayers ?? 1;
    const rng = opts.rng ?? new Rng(0);
    const bound = 1 / Math.sqrt(hiddenSize);
    for (let l = 0; l < this.numLayers; l++) {
      const inSize = l === 0 ? inputSize : hiddenSize;
      const gh = gates * hiddenSize;
      this.weights.push({
        wih: this.param(`weight_ih_l${l}`, uniform(rng, [inSize, gh], bound)),
        whh: this.param(`weight_hh_l${l}`, uniform(rng, [hiddenSize, gh], bound)),
        bih: this.param(`bias_ih_l${l}`, uniform(rng, [gh], bound)),
        bhh: this.param(`bias_hh_l${l}`, uniform(rng, [gh], bound)),
      });
    }
  }

  /** One layer over the sequence: xw [B, T, G*H] (input product + input bias); returns [B, T, H]. */
  protected abstract runLayer(l: number, xw: tf.Tensor3D, keep: tf.Tensor[] | null): tf.Tensor3D;

  forward(x: tf.Tensor3D, paddingMask?: tf.Tensor): RecurrentOutput {
    const [b, t, c] = x.shape;
    if (c !== this.inputSize) throw new Error(`${this.constructor.name}: input has ${c} features, layer expects ${this.inputSize}`);
    const layers: tf.Tensor3D[] = [];
    const keep = paddingMask ? tf.unstack(tf.reshape(tf.cast(paddingMask, 'float32'), [b, t, 1]), 1) : null;
    let h: tf.Tensor3D = x;
    for (let l = 0; l < this.numLayers; l++) {
      const w = this.weights[l];
      const input = h;
      h = tf.tidy(() => {
        const xw = tf.reshape(tf.fused.matMul({ a: tf.reshape(input, [b * t, input.shape[2]]) as tf.Tensor2D, b: w.wih as tf.Tensor2D, bias: w.bih }), [b, t, -1]) as tf.Tensor3D;
        return this.runLayer(l, xw, keep);
      });
      layers.push(h);
    }
    if (keep) tf.dispose(keep);
    return { output: h, layers };
  }

  /** Carries the previous state over padded frames: m * prev + (1 - m) * next. */
  protected static carry(next: tf.Tensor, prev: tf.Tensor, m: tf.Tensor | undefined): tf.Tensor {
    return m ? tf.add(next, tf.mul(m, tf.sub(prev, next))) : next;
  }
}
