import * as tf from '@tensorflow/tfjs-core';
import { classificationLoss } from './losses/classification.ts';
import { regressionLoss, type RegressionKind } from './losses/regression.ts';
import type { LossResult } from './losses/ops.ts';
import type { PairTarget, ViewPair } from './pair-relation.ts';

/**
 * What the temporal-gap head predicts from a pair whose second segment starts d = b - a steps after the
 * first (segments of S steps, gap g = |d| - S):
 *
 * - `GapBinsTarget`: the bin of g among ascending `edges` (bin i = [edges[i-1], edges[i]), the last open):
 *   edges.length + 1 classes. Order-aware: the bin and the sign of d, 2 (edges.length + 1) classes
 *   (classes 0..n-1 second-after-first, n..2n-1 second-before-first). Besides `acc` it logs `share_<k>`,
 *   each class's share of the batch (their means: the class distribution; see classShares).
 * - `GapRegressionTarget`: g / S (gaps in segment lengths keep the target O(1)), or with order-aware the
 *   signed sign(d) * (g + S) / S = d / S (never in (-1, 1): the segments do not overlap). Loss mse, l1 or
 *   smooth-l1; the metric `mae` is in segment lengths.
 */
export function gapBin(gap: number, edges: readonly number[]): number {
  let bin = 0;
  while (bin < edges.length && gap >= edges[bin]) bin++;
  return bin;
}

/**
 * Share of each of `classes` labels in one batch. Logged per class (`share_<k>`), their means over a log
 * window or a validation pass are the class distribution, whose largest is what always guessing the
 * majority class scores: the floor `acc` must beat. (The largest share of each batch would overstate it:
 * 64 uniform draws of 3 classes give a batch maximum of about 0.40.)
 */
export function classShares(labels: ArrayLike<number>, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return counts.map((c) => (labels.length > 0 ? c / labels.length : 0));
}

export class GapBinsTarget implements PairTarget {
  readonly outputs: number;
  constructor(readonly segmentLength: number, readonly edges: readonly number[], readonly orderAware: boolean) {
    this.outputs = (edges.length + 1) * (orderAware ? 2 : 1);
  }

  labels(pairs: ViewPair): Int32Array {
    const bins = this.edges.length + 1;
    return Int32Array.from(pairs.offsets, (d) => gapBin(Math.abs(d) - this.segmentLength, this.edges) + (this.orderAware && d < 0 ? bins : 0));
  }

  loss(predictions: tf.Tensor2D, pairs: ViewPair): LossResult {
    const labels = this.labels(pairs);
    const res = classificationLoss(predictions, labels);
    const metrics: Record<string, number> = { ...res.metrics };
    classShares(labels, this.outputs).forEach((v, k) => (metrics[`share_${k}`] = v));
    if (this.orderAware) {
      // Order accuracy: the predicted class's half (after / before) is the true one.
      const bins = this.edges.length + 1;
      const predicted = tf.tidy(() => tf.argMax(predictions, 1).dataSync());
      let right = 0;
      for (let i = 0; i < labels.length; i++) if (labels[i] >= bins === predicted[i] >= bins) right++;
      metrics.acc_order = right / labels.length;
    }
    return { loss: res.loss, metrics };
  }
}

export class GapRegressionTarget implements PairTarget {
  readonly outputs = 1;
  constructor(readonly segmentLength: number, readonly kind: RegressionKind, readonly orderAware: boolean) {}

  values(pairs: ViewPair): Float32Array {
    const S = this.segmentLength;
    return Float32Array.from(pairs.offsets, (d) => (this.orderAware ? d / S : (Math.abs(d) - S) / S));
  }

  loss(predictions: tf.Tensor2D, pairs: ViewPair): LossResult {
    return regressionLoss(predictions, this.values(pairs), { kind: this.kind });
  }
}
