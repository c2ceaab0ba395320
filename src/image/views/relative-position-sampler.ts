/**
 * Relative patch position (Doersch, Gupta and Efros 2015): a 3x3 grid of patches, with gap and jitter, is
 * laid on the image; the input is the centre patch and one of its 8 neighbours, and the label says which:
 *
 *     0 1 2
 *     3 . 4
 *     5 6 7
 *
 * The gap must exceed twice the jitter, so two patches never touch and no edge continues across them.
 * An optional transform runs on the whole image first (crop, resize); another on each patch (normalise,
 * colour drop). Inputs: [centres, neighbours], both [N, P, P, C].
 */
import type { Rng } from '../../util/rng.ts';
import { type ImageSource, packImages } from '../dataset.ts';
import type { Image } from '../image.ts';
import type { ImageTransform } from '../transforms/transform.ts';
import { type PatchGridConfig, extractPatch, samplePatchGrid } from './patch-grid.ts';
import type { PretextBatch, PretextSampler } from './view-generator.ts';

/** (row, col) offset from the centre for each label 0..7. */
export const NEIGHBOUR_OFFSETS: ReadonlyArray<readonly [number, number]> = [
  [-1, -1], [-1, 0], [-1, 1],
  [0, -1], [0, 1],
  [1, -1], [1, 0], [1, 1],
];

export interface RelativePositionConfig {
  patchSize: number;
  gap: number;
  jitter: number;
  imageTransform: ImageTransform | null;
  patchTransform: ImageTransform | null;
}
/** For 32x32 images: 3 * 8 + 2 * 3 + 2 * 1 = 32. */
export const defaultRelativePositionConfig: RelativePositionConfig = { patchSize: 8, gap: 3, jitter: 1, imageTransform: null, patchTransform: null };

export class RelativePositionSampler implements PretextSampler {
  readonly numClasses = NEIGHBOUR_OFFSETS.length;
  readonly numInputs = 2;
  readonly config: RelativePositionConfig;
  readonly grid: PatchGridConfig;
  constructor(config: Partial<RelativePositionConfig> = {}) {
    this.config = { ...defaultRelativePositionConfig, ...config };
    const { patchSize, gap, jitter } = this.config;
    this.grid = { rows: 3, cols: 3, patchSize, gap, jitter };
    if (!(gap > 2 * jitter)) throw new RangeError(`relative position: gap (${gap}) must exceed twice the jitter (${jitter}) so patches never touch`);
  }

  sample(source: ImageSource, indices: ArrayLike<number>, rng: Rng): PretextBatch {
    const centres: Image[] = [];
    const neighbours: Image[] = [];
    const labels = new Int32Array(indices.length);
    const { patchSize, imageTransform, patchTransform } = this.config;
    for (let i = 0; i < indices.length; i++) {
      let img = source.get(indices[i]);
      if (imageTransform) img = imageTransform.apply(img, rng);
      const positions = samplePatchGrid(img.height, img.width, this.grid, rng);
      const label = rng.int(this.numClasses);
      const [dr, dc] = NEIGHBOUR_OFFSETS[label];
      let a = extractPatch(img, positions[4], patchSize);
      let b = extractPatch(img, positions[(1 + dr) * 3 + (1 + dc)], patchSize);
      if (patchTransform) {
        a = patchTransform.apply(a, rng);
        b = patchTransform.apply(b, rng);
      }
      centres.push(a);
      neighbours.push(b);
      labels[i] = label;
    }
    return { inputs: [packImages(centres), packImages(neighbours)], labels };
  }
}
