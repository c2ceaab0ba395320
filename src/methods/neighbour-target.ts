import type * as tf from '@tensorflow/tfjs-core';
import { NEIGHBOUR_OFFSETS } from '../image/views/relative-position-sampler.ts';
import { classificationLoss } from './losses/classification.ts';
import type { LossResult } from './losses/ops.ts';
import type { PairTarget, ViewPair } from './pair-relation.ts';

/**
 * What the temporal-gap head predicts from a 2-D pair (relative patch position): which of the 8
 * neighbours of the first patch the second one is, from the pair's (row, col) step, numbered as
 * `NEIGHBOUR_OFFSETS` (0 1 2 / 3 . 4 / 5 6 7). Cross-entropy over the 8 classes; metric `acc`.
 */
export class NeighbourTarget implements PairTarget {
  readonly outputs = NEIGHBOUR_OFFSETS.length;

  labels(pairs: ViewPair): Int32Array {
    const labels = new Int32Array(pairs.count);
    for (let i = 0; i < pairs.count; i++) {
      const dr = pairs.offsets[2 * i];
      const dc = pairs.offsets[2 * i + 1];
      const label = NEIGHBOUR_OFFSETS.findIndex(([r, c]) => r === dr && c === dc);
      if (label < 0) throw new Error(`neighbour target: pair ${i} is (${dr}, ${dc}) grid steps apart, not one of the 8 neighbours`);
      labels[i] = label;
    }
    return labels;
  }

  loss(predictions: tf.Tensor2D, pairs: ViewPair): LossResult {
    return classificationLoss(predictions, this.labels(pairs));
  }
}
