import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.ts';

/**
 * Batch normalisation of features on the last axis (Ioffe & Szegedy 2015), as torch.nn.BatchNorm1d on
 * [N, D] rows (any leading axes are flattened into rows). In training mode every feature is normalised
 * with the mean and the biased variance over the rows of this call, `eps` inside the square root, then
 * scaled by `weight` (gamma, ones) and shifted by `bias` (beta, zeros); the running statistics follow
 *   running_mean <- (1 - momentum) running_mean + momentum mean,
 *   running_var  <- (1 - momentum) running_var  + momentum var * n / (n - 1)   (unbiased, as torch).
 * In evaluation mode the running statistics normalise instead, so one row can be normalised alone.
 *
 * `running_mean` and `running_var` are non-trainable variables of the module (checkpoint names
 * `<path>.running_mean`, `<path>.running_var`): a method lists them in `buffers()`, never `parameters()`.
 * `updateRunningStats = false` keeps batch statistics in training but leaves the running ones alone (an
 * EMA target network, whose running statistics are averaged from its online twin instead).
 *
 * The batch-statistics gradient is written out (one pass over the normalised input) rather than left to
 * autodiff: dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), means over the rows.
 */
export function batchNormTrain(x2: tf.Tensor2D, weight: tf.Tensor, bias: tf.Tensor, eps: number): { y: tf.Tensor2D; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  const stats: { mean?: tf.Tensor1D; variance?: tf.Tensor1D } = {};
  const fn = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xIn, w, b, save] = args as [tf.Tensor2D, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const mean = tf.mean(xIn, 0);
    const centred = tf.sub(xIn, mean);
    const variance = tf.mean(tf.square(centred), 0);
    const rstd = tf.rsqrt(tf.add(variance, eps));
    const xhat = tf.mul(centred, rstd);
    stats.mean = tf.keep(tf.clone(mean)) as tf.Tensor1D;
    stats.variance = tf.keep(tf.clone(variance)) as tf.Tensor1D;
    save([xhat, rstd, w]);
    return {
      value: tf.add(tf.mul(xhat, w), b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, rs, wt] = saved;
        const dxhat = tf.mul(dy, wt);
        const meanD = tf.mean(dxhat, 0);
        const meanDX = tf.mean(tf.mul(dxhat, xh), 0);
        const dx = tf.mul(tf.sub(tf.sub(dxhat, meanD), tf.mul(xh, meanDX)), rs);
        return [dx, tf.sum(tf.mul(dy, xh), 0), tf.sum(dy, 0)];
      },
    };
  });
  const y = fn(x2, weight, bias) as tf.Tensor2D;
  return { y, mean: stats.mean!, variance: stats.variance! };
}

export interface BatchNormOptions {
  eps?: number;
  /** Weight of the new batch in the running statistics (torch's momentum, 0.1). */
  momentum?: number;
}

export class BatchNorm1d extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  readonly eps: number;
  readonly momentum: number;
  /** False: training mode normalises with the batch but does not move the running statistics. */
  updateRunningStats = true;

  constructor(readonly dim: number, opts: BatchNormOptions = {}) {
    super();
    if (!(Number.isInteger(dim) && dim >= 1)) throw new Error(`BatchNorm1d: dim must be a positive integer, got ${dim}`);
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    if (!(this.eps > 0)) throw new Error(`BatchNorm1d: eps must be positive, got ${this.eps}`);
    if (!(this.momentum >= 0 && this.momentum <= 1)) throw new Error(`BatchNorm1d: momentum must be in [0, 1], got ${this.momentum}`);
    this.weight = this.param('weight', tf.ones([dim]));
    this.bias = this.param('bias', tf.zeros([dim]));
    this.runningMean = this.param('running_mean', tf.zeros([dim]), false);
    this.runningVar = this.param('running_var', tf.ones([dim]), false);
  }

  forward(x: tf.Tensor): tf.Tensor {
    const last = x.shape[x.shape.length - 1];
    if (last !== this.dim) throw new Error(`BatchNorm1d: input has ${last} features on its last axis, layer expects ${this.dim}`);
    const rows = x.size / this.dim;
    return tf.tidy(() => {
      const x2 = tf.reshape(x, [rows, this.dim]) as tf.Tensor2D;
      if (!this.training) {
        const rstd = tf.rsqrt(tf.add(this.runningVar, this.eps));
        const y = tf.add(tf.mul(tf.mul(tf.sub(x2, this.runningMean), rstd), this.weight), this.bias);
        return tf.reshape(y, x.shape);
      }
      if (rows < 2) throw new Error(`BatchNorm1d: training mode needs at least 2 rows to take batch statistics, got ${rows}`);
      const { y, mean, variance } = batchNormTrain(x2, this.weight, this.bias, this.eps);
      if (this.updateRunningStats && this.momentum > 0) {
        const m = this.momentum;
        this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(mean, m)));
        this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(variance, (m * rows) / (rows - 1))));
      }
      tf.dispose([mean, variance]);
      return tf.reshape(y, x.shape);
    });
  }
}
