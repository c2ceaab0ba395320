/**
 * What the self-supervised methods consume: plain typed arrays, no tensors, so that view making is fast,
 * seeded and testable; a method turns each batch into a tensor itself.
 *
 * - A `ViewGenerator` makes K augmented views of each image in a batch (SimCLR, BYOL: K = 2), each view an
 *   NHWC batch in the order of `indices`.
 * - A `PretextSampler` makes inputs and class labels for a predictive pretext task (rotation: 4 classes;
 *   relative patch position: 8 classes, two inputs).
 * - A `PatchGridSampler` cuts each image into a grid of patches (CPC over patches: rows as the sequence).
 * All randomness comes from the `rng` argument: the same seed and indices give the same arrays.
 */
import type { Rng } from '../../util/rng.ts';
import { type ImageBatch, type ImageSource, packImages } from '../dataset.ts';
import type { ImageTransform } from '../transforms/transform.ts';

export interface ViewGenerator {
  readonly numViews: number;
  /** K batches, view k of image indices[i] at position i of batch k. */
  generate(source: ImageSource, indices: ArrayLike<number>, rng: Rng): ImageBatch[];
}

export interface PretextBatch {
  /** One or more NHWC batches of equal length N (two for relative position: centre and neighbour). */
  inputs: ImageBatch[];
  /** N class labels in 0..numClasses-1. */
  labels: Int32Array;
}

export interface PretextSampler {
  readonly numClasses: number;
  readonly numInputs: number;
  sample(source: ImageSource, indices: ArrayLike<number>, rng: Rng): PretextBatch;
}

/** Patches of N images: data laid out [N, rows, cols, patch, patch, channels]. */
export interface PatchGridBatch {
  data: Float32Array;
  shape: [number, number, number, number, number, number];
}

export interface PatchGridSampler {
  sample(source: ImageSource, indices: ArrayLike<number>, rng: Rng): PatchGridBatch;
}

/**
 * K views from K pipelines (one per view; the same pipeline twice for symmetric methods). Draws go image
 * by image, view by view.
 */
export class MultiViewGenerator implements ViewGenerator {
  constructor(readonly pipelines: ImageTransform[]) {
    if (pipelines.length === 0) throw new RangeError('MultiViewGenerator needs at least one pipeline');
  }
  get numViews(): number {
    return this.pipelines.length;
  }
  generate(source: ImageSource, indices: ArrayLike<number>, rng: Rng): ImageBatch[] {
    const views = this.pipelines.map(() => new Array<ReturnType<ImageSource['get']>>(indices.length));
    for (let i = 0; i < indices.length; i++) {
      const img = source.get(indices[i]);
      for (let v = 0; v < this.pipelines.length; v++) views[v][i] = this.pipelines[v].apply(img, rng);
    }
    return views.map((imgs) => packImages(imgs, (k) => `view of image ${indices[k]}`));
  }
}
