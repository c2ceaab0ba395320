import * as tf from '@tensorflow/tfjs-core';
import { scalarValue, type LossResult } from './ops.ts';

/**
 * Regression for pretext tasks that predict a number (the temporal gap in seconds or frames, instead
 * of a gap bin). `mse` is mean squared error (no 1/2 factor, as PyTorch's MSELoss), `l1` mean absolute error, `smooth-l1` Huber
 * with threshold `beta` (PyTorch's SmoothL1Loss: 0.5 x^2 / beta below beta, |x| - 0.5 beta above).
 * Metrics: the loss and the mean absolute error.
 */
export type RegressionKind = 'mse' | 'l1' | 'smooth-l1';

export interface RegressionConfig {
  kind: RegressionKind;
  /** Threshold of smooth-l1. */
  beta: number;
}

export const REGRESSION_LOSS_DEFAULTS: RegressionConfig = { kind: 'mse', beta: 1 };

export function regressionLoss(predictions: tf.Tensor, targets: ArrayLike<number>, config: Partial<RegressionConfig> = {}): LossResult {
  const c: RegressionConfig = { ...REGRESSION_LOSS_DEFAULTS, ...config };
  if (predictions.size !== targets.length) throw new Error(`regression loss: ${targets.length} targets for ${predictions.size} predictions`);
  if (!(c.beta > 0)) throw new Error(`regression loss: beta must be positive, got ${c.beta}`);
  const metrics: Record<string, number> = {};
  const loss = tf.tidy(() => {
    const diff = tf.sub(tf.reshape(predictions, [predictions.size]), tf.tensor1d(Float32Array.from(targets)));
    const abs = tf.abs(diff);
    let l: tf.Scalar;
    if (c.kind === 'mse') l = tf.mean(tf.square(diff));
    else if (c.kind === 'l1') l = tf.mean(abs);
    else if (c.kind === 'smooth-l1') {
      // 0.5 m^2 / beta + (|x| - m) with m = min(|x|, beta): the two branches without a comparison op
      // (tfjs has no gradient for Less, and a `where` condition sits on the tape).
      const m = tf.minimum(abs, c.beta);
      l = tf.mean(tf.add(tf.div(tf.mul(tf.square(m), 0.5), c.beta), tf.sub(abs, m)));
    } else throw new Error(`regression loss: unknown kind "${String(c.kind)}" (expected mse, l1 or smooth-l1)`);
    metrics.loss = scalarValue(l);
    metrics.mae = scalarValue(tf.mean(abs));
    return l;
  });
  return { loss, metrics };
}
