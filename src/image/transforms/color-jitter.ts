/**
 * Colour jitter with torchvision's ColorJitter semantics: brightness, contrast and saturation factors drawn
 * uniformly from [max(0, 1 - s), 1 + s], a hue shift from [-h, h] (h <= 0.5), applied in a random order
 * (torchvision always shuffles; `randomOrder: false` keeps brightness, contrast, saturation, hue).
 * A strength of 0 leaves that adjustment out. Wrap it in RandomApply for "with probability p".
 */
import type { Rng } from '../../util/rng.ts';
import type { Image } from '../image.ts';
import { adjustBrightness, adjustContrast, adjustHue, adjustSaturation } from './color-adjust.ts';
import type { ImageTransform } from './transform.ts';

export interface ColorJitterConfig {
  brightness: number;
  contrast: number;
  saturation: number;
  hue: number;
  randomOrder: boolean;
}
export const defaultColorJitterConfig: ColorJitterConfig = { brightness: 0, contrast: 0, saturation: 0, hue: 0, randomOrder: true };

export interface ColorJitterParams {
  /** Indices into [brightness, contrast, saturation, hue], in the order applied. */
  order: number[];
  brightness: number;
  contrast: number;
  saturation: number;
  hue: number;
}

export class ColorJitter implements ImageTransform {
  readonly config: ColorJitterConfig;
  constructor(config: Partial<ColorJitterConfig> = {}) {
    this.config = { ...defaultColorJitterConfig, ...config };
    for (const k of ['brightness', 'contrast', 'saturation'] as const) {
      if (!(this.config[k] >= 0)) throw new RangeError(`ColorJitter ${k} must be >= 0, got ${this.config[k]}`);
    }
    if (!(this.config.hue >= 0 && this.config.hue <= 0.5)) throw new RangeError(`ColorJitter hue must be in [0, 0.5], got ${this.config.hue}`);
  }

  get name(): string {
    const c = this.config;
    return `ColorJitter(brightness=${c.brightness}, contrast=${c.contrast}, saturation=${c.saturation}, hue=${c.hue})`;
  }

  /** Draws the factors and order (a strength of 0 gives the neutral factor without a draw). */
  sampleParams(rng: Rng): ColorJitterParams {
    const c = this.config;
    const order = c.randomOrder ? rng.permutation(4) : [0, 1, 2, 3];
    const factor = (s: number): number => (s > 0 ? rng.uniform(Math.max(0, 1 - s), 1 + s) : 1);
    return {
      order,
      brightness: factor(c.brightness),
      contrast: factor(c.contrast),
      saturation: factor(c.saturation),
      hue: c.hue > 0 ? rng.uniform(-c.hue, c.hue) : 0,
    };
  }

  applyParams(img: Image, p: ColorJitterParams): Image {
    let out = img;
    for (const k of p.order) {
      if (k === 0) out = adjustBrightness(out, p.brightness);
      else if (k === 1) out = adjustContrast(out, p.contrast);
      else if (k === 2) out = adjustSaturation(out, p.saturation);
      else out = adjustHue(out, p.hue);
    }
    return out;
  }

  apply(img: Image, rng: Rng): Image {
    return this.applyParams(img, this.sampleParams(rng));
  }
}
