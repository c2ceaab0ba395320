/**
 * A grid of patches per image for CPC over images (van den Oord et al. 2018; Henaff et al. 2019): the
 * encoder embeds every patch, the rows of the grid form the sequence, and the context from the rows above
 * predicts the rows below. For 32x32 images the default is a 7x7 grid of 8px patches overlapping by half
 * (gap -4). An optional transform runs on the whole image first and another on each patch (CPC v2
 * augments patches independently).
 */
import type { Rng } from '../../util/rng.ts';
import type { ImageSource } from '../dataset.ts';
import type { ImageTransform } from '../transforms/transform.ts';
import { type PatchGridConfig, extractPatch, samplePatchGrid } from './patch-grid.ts';
import type { PatchGridBatch, PatchGridSampler } from './view-generator.ts';

export interface CpcPatchGridConfig extends PatchGridConfig {
  imageTransform: ImageTransform | null;
  patchTransform: ImageTransform | null;
}
export const defaultCpcPatchGridConfig: CpcPatchGridConfig = {
  rows: 7,
  cols: 7,
  patchSize: 8,
  gap: -4,
  jitter: 0,
  imageTransform: null,
  patchTransform: null,
};

export class CpcPatchGridSampler implements PatchGridSampler {
  readonly config: CpcPatchGridConfig;
  constructor(config: Partial<CpcPatchGridConfig> = {}) {
    this.config = { ...defaultCpcPatchGridConfig, ...config };
  }

  sample(source: ImageSource, indices: ArrayLike<number>, rng: Rng): PatchGridBatch {
    const { rows, cols, patchSize: P, imageTransform, patchTransform } = this.config;
    let data: Float32Array | null = null;
    let channels = 0;
    for (let i = 0; i < indices.length; i++) {
      let img = source.get(indices[i]);
      if (imageTransform) img = imageTransform.apply(img, rng);
      if (data === null) {
        channels = img.channels;
        data = new Float32Array(indices.length * rows * cols * P * P * channels);
      } else if (img.channels !== channels) {
        throw new RangeError(`image ${indices[i]} has ${img.channels} channels, the batch ${channels}`);
      }
      const positions = samplePatchGrid(img.height, img.width, this.config, rng);
      for (let g = 0; g < positions.length; g++) {
        let patch = extractPatch(img, positions[g], P);
        if (patchTransform) patch = patchTransform.apply(patch, rng);
        if (patch.height !== P || patch.width !== P || patch.channels !== channels) {
          throw new RangeError(`patch transform changed the patch shape to ${patch.height}x${patch.width}x${patch.channels}`);
        }
        data.set(patch.data, (i * rows * cols + g) * P * P * channels);
      }
    }
    if (data === null) throw new RangeError('cannot sample patches for an empty batch');
    return { data, shape: [indices.length, rows, cols, P, P, channels] };
  }
}
