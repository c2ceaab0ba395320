import * as tf from '@tensorflow/tfjs-core';
import { l2Normalize, rowAccuracy, rowCrossEntropy, scalarValue, type LossResult } from './ops.ts';

/**
 * SimCLR's NT-Xent (Chen et al. 2020, eq. 1): for 2N views (z_i and z_{i+N} two augmentations of one
 * image), with sim the cosine similarity and tau the temperature,
 *
 *   l(i, j) = -log exp(sim(z_i, z_j)/tau) / sum_{k != i} exp(sim(z_i, z_k)/tau),
 *   L = 1/(2N) sum_{i=1..N} [ l(i, i+N) + l(i+N, i) ].
 *
 * Every other view in the batch, including the other image's second view, is a negative; the view
 * itself is excluded. Default tau 0.2 (solo-learn's CIFAR setting; the paper's 0.5 suits large
 * batches). Metric `acc`: how often the positive is the most similar of the 2N - 1 others.
 */
export interface NtXentConfig {
  temperature: number;
}

export const NT_XENT_DEFAULTS: NtXentConfig = { temperature: 0.2 };

export function ntXentLoss(view1: tf.Tensor2D, view2: tf.Tensor2D, config: Partial<NtXentConfig> = {}): LossResult {
  const c: NtXentConfig = { ...NT_XENT_DEFAULTS, ...config };
  if (view1.shape.join(',') !== view2.shape.join(',')) throw new Error(`nt-xent: views of shape [${view1.shape}] and [${view2.shape}] differ`);
  if (!(c.temperature > 0)) throw new Error(`nt-xent: temperature must be positive, got ${c.temperature}`);
  const n = view1.shape[0];
  if (n < 1) throw new Error('nt-xent: empty batch');
  const targets = new Int32Array(2 * n);
  for (let i = 0; i < 2 * n; i++) targets[i] = (i + n) % (2 * n);
  const metrics: Record<string, number> = {};
  const loss = tf.tidy(() => {
    const z = l2Normalize(tf.concat([view1, view2], 0));
    const sim = tf.div(tf.matMul(z, z, false, true), c.temperature) as tf.Tensor2D;
    const self = tf.cast(tf.eye(2 * n), 'bool');
    const logits = tf.where(self, tf.fill([2 * n, 2 * n], -Infinity), sim) as tf.Tensor2D;
    const l = tf.mean(rowCrossEntropy(logits, targets)) as tf.Scalar;
    metrics.loss = scalarValue(l);
    metrics.acc = rowAccuracy(logits, targets);
    return l;
  });
  return { loss, metrics };
}
