import * as tf from '@tensorflow/tfjs-core';
import { Recurrent, type RecurrentOptions } from './recurrent.ts';

/**
 * GRU (Cho et al. 2014) as torch.nn.GRU(batch_first=True), gates in PyTorch's order r, z, n:
 *   r = sig(xr + hr),  z = sig(xz + hz),  n = tanh(xn + r * hn),  h' = (1 - z) * n + z * h
 * where x* include bias_ih and h* = h W_hh + bias_hh (so the reset gate multiplies hn with its bias).
 */
export class GRU extends Recurrent {
  constructor(inputSize: number, hiddenSize: number, opts: RecurrentOptions = {}) {
    super(inputSize, hiddenSize, 3, opts);
  }

  protected runLayer(l: number, xw: tf.Tensor3D, keep: tf.Tensor[] | null): tf.Tensor3D {
    const [b, t] = xw.shape;
    const { whh, bhh } = this.weights[l];
    const steps = tf.unstack(xw, 1);
    let h: tf.Tensor = tf.zeros([b, this.hiddenSize]);
    const outs: tf.Tensor[] = [];
    for (let s = 0; s < t; s++) {
      const [xr, xz, xn] = tf.split(steps[s], 3, 1);
      const [hr, hz, hn] = tf.split(tf.fused.matMul({ a: h as tf.Tensor2D, b: whh as tf.Tensor2D, bias: bhh }), 3, 1);
      const r = tf.sigmoid(tf.add(xr, hr));
      const z = tf.sigmoid(tf.add(xz, hz));
      const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
      const hNext = tf.add(n, tf.mul(z, tf.sub(h, n)));
      h = Recurrent.carry(hNext, h, keep?.[s]);
      outs.push(h);
    }
    return tf.stack(outs, 1) as tf.Tensor3D;
  }
}
