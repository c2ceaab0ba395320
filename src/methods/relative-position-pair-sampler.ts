import * as tf from '@tensorflow/tfjs-core';
import { batchPositions, imageBatchSource, type ImageTrainBatch } from '../data/image-batch.ts';
import { NEIGHBOUR_OFFSETS, RelativePositionSampler } from '../image/views/relative-position-sampler.ts';
import type { Rng } from '../util/rng.ts';
import { imageTensor } from './image-tensor.ts';
import type { PairSampler, ViewPair } from './pair-relation.ts';

/**
 * The 2-D pair sampler of the temporal-gap method (relative patch position, Doersch et al. 2015): per
 * image, `RelativePositionSampler` lays a 3x3 grid of `patchSize` patches `gap` pixels apart (each moved
 * by up to `jitter`), and the pair is the centre patch and one neighbour drawn uniformly. The placement
 * reported is the neighbour's (row, col) step from the centre, each in {-1, 0, 1} and never (0, 0):
 * `NeighbourTarget` (neighbour-target.ts) turns it into one of 8 classes. The views are standardised
 * with the data's statistics. Randomness from the caller's Rng only.
 */
export interface RelativePositionPairConfig {
  patchSize: number;
  gap: number;
  jitter: number;
  /** Pairs drawn per image (each with its own grid and neighbour). */
  pairsPerItem: number;
}

export class RelativePositionPairSampler implements PairSampler<ImageTrainBatch> {
  readonly batchKind = 'image';
  readonly offsetDims = 2;
  readonly patches: RelativePositionSampler;

  constructor(readonly config: RelativePositionPairConfig) {
    if (!(Number.isInteger(config.pairsPerItem) && config.pairsPerItem >= 1)) throw new Error(`relative-position pairs: pairsPerItem must be a positive integer, got ${config.pairsPerItem}`);
    this.patches = new RelativePositionSampler({ patchSize: config.patchSize, gap: config.gap, jitter: config.jitter });
  }

  describeEmpty(_batch: ImageTrainBatch): string {
    return 'the batch holds no image';
  }

  sample(batch: ImageTrainBatch, rng: Rng): ViewPair {
    const positions = batchPositions(batch);
    const k = this.config.pairsPerItem;
    const sources = new Int32Array(positions.length * k);
    for (let i = 0; i < positions.length; i++) for (let p = 0; p < k; p++) sources[i * k + p] = positions[i];
    const n = sources.length;
    if (n === 0) {
      const P = this.config.patchSize;
      const empty = tf.zeros([0, P, P, batch.shape[2]]);
      return { first: { x: empty }, second: { x: empty }, count: 0, offsets: new Float32Array(0), sources };
    }
    const { inputs, labels } = this.patches.sample(imageBatchSource(batch), sources, rng);
    const offsets = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      const [dr, dc] = NEIGHBOUR_OFFSETS[labels[i]];
      offsets[2 * i] = dr;
      offsets[2 * i + 1] = dc;
    }
    return { first: { x: imageTensor(inputs[0], batch.normalize) }, second: { x: imageTensor(inputs[1], batch.normalize) }, count: n, offsets, sources };
  }
}
