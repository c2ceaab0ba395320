import * as tf from '@tensorflow/tfjs-core';
import { Recurrent, type RecurrentOptions } from './recurrent.ts';

/**
 * LSTM (Hochreiter & Schmidhuber 1997) as torch.nn.LSTM(batch_first=True), gates in PyTorch's order
 * i, f, g, o:  c' = f*c + i*g,  h' = o*tanh(c'),  with zero initial state.
 */
export class LSTM extends Recurrent {
  constructor(inputSize: number, hiddenSize: number, opts: RecurrentOptions = {}) {
    super(inputSize, hiddenSize, 4, opts);
  }

  protected runLayer(l: number, xw: tf.Tensor3D, keep: tf.Tensor[] | null): tf.Tensor3D {
    const [b, t] = xw.shape;
    const hs = this.hiddenSize;
    const { whh, bhh } = this.weights[l];
    const steps = tf.unstack(xw, 1);
    let h: tf.Tensor = tf.zeros([b, hs]);
    let c: tf.Tensor = tf.zeros([b, hs]);
    const outs: tf.Tensor[] = [];
    for (let s = 0; s < t; s++) {
      const g = tf.add(steps[s], tf.fused.matMul({ a: h as tf.Tensor2D, b: whh as tf.Tensor2D, bias: bhh }));
      const [gi, gf, gg, go] = tf.split(g, 4, 1);
      const cNext = tf.add(tf.mul(tf.sigmoid(gf), c), tf.mul(tf.sigmoid(gi), tf.tanh(gg)));
      const hNext = tf.mul(tf.sigmoid(go), tf.tanh(cNext));
      c = Recurrent.carry(cNext, c, keep?.[s]);
      h = Recurrent.carry(hNext, h, keep?.[s]);
      outs.push(h);
    }
    return tf.stack(outs, 1) as tf.Tensor3D;
  }
}
