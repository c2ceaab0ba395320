/** Additive gaussian noise, x + N(0, std^2) per value, clamped to [0, 1] unless told otherwise. */
import type { Rng } from '../../util/rng.ts';
import { type Image, createImage } from '../image.ts';
import type { ImageTransform } from './transform.ts';

export interface GaussianNoiseConfig {
  std: number;
  clamp: boolean;
}
export const defaultGaussianNoiseConfig: GaussianNoiseConfig = { std: 0.05, clamp: true };

export class GaussianNoise implements ImageTransform {
  readonly config: GaussianNoiseConfig;
  constructor(config: Partial<GaussianNoiseConfig> = {}) {
    this.config = { ...defaultGaussianNoiseConfig, ...config };
    if (!(this.config.std >= 0)) throw new RangeError(`GaussianNoise std must be >= 0, got ${this.config.std}`);
  }
  get name(): string {
    return `GaussianNoise(std=${this.config.std})`;
  }
  apply(img: Image, rng: Rng): Image {
    const { std, clamp } = this.config;
    if (std === 0) return img;
    const out = createImage(img.height, img.width, img.channels);
    for (let i = 0; i < img.data.length; i++) {
      const v = img.data[i] + rng.normal(0, std);
      out.data[i] = clamp ? (v < 0 ? 0 : v > 1 ? 1 : v) : v;
    }
    return out;
  }
}
