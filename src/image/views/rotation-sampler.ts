/**
 * Rotation prediction (Gidaris et al. 2018): the label is how many quarter turns counter-clockwise the
 * input was rotated (0: 0, 1: 90, 2: 180, 3: 270 degrees). With `allRotations` (the paper's choice) every
 * image appears four times, once per rotation, image by image; otherwise each gets one random rotation.
 * An optional transform (crop, flip, normalise...) runs on the image first. Images must be square.
 */
import type { Rng } from '../../util/rng.ts';
import { type ImageSource, packImages } from '../dataset.ts';
import type { Image } from '../image.ts';
import { rotate90 } from '../transforms/rotate.ts';
import type { ImageTransform } from '../transforms/transform.ts';
import type { PretextBatch, PretextSampler } from './view-generator.ts';

export interface RotationSamplerConfig {
  allRotations: boolean;
  transform: ImageTransform | null;
}
export const defaultRotationSamplerConfig: RotationSamplerConfig = { allRotations: true, transform: null };

export const ROTATION_CLASSES = 4;

export class RotationSampler implements PretextSampler {
  readonly numClasses = ROTATION_CLASSES;
  readonly numInputs = 1;
  readonly config: RotationSamplerConfig;
  constructor(config: Partial<RotationSamplerConfig> = {}) {
    this.config = { ...defaultRotationSamplerConfig, ...config };
  }

  sample(source: ImageSource, indices: ArrayLike<number>, rng: Rng): PretextBatch {
    const images: Image[] = [];
    const labels: number[] = [];
    const names: string[] = [];
    for (let i = 0; i < indices.length; i++) {
      let img = source.get(indices[i]);
      if (this.config.transform) img = this.config.transform.apply(img, rng);
      if (img.height !== img.width) throw new RangeError(`rotation needs square images; image ${indices[i]} is ${img.height}x${img.width}`);
      const turns = this.config.allRotations ? [0, 1, 2, 3] : [rng.int(ROTATION_CLASSES)];
      for (const k of turns) {
        images.push(rotate90(img, k));
        labels.push(k);
        names.push(`image ${indices[i]} turned ${k}`);
      }
    }
    return { inputs: [packImages(images, (k) => names[k])], labels: Int32Array.from(labels) };
  }
}
