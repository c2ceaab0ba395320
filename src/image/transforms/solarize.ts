/**
 * Solarisation: every value at or above the threshold is inverted (x -> 1 - x), as PIL's ImageOps.solarize
 * and torchvision's RandomSolarize. The default threshold 0.5 is PIL's 128 on 8-bit images up to rounding.
 */
import type { Rng } from '../../util/rng.ts';
import { type Image, createImage } from '../image.ts';
import { type ImageTransform, checkProbability } from './transform.ts';

export function solarize(img: Image, threshold = 0.5): Image {
  const out = createImage(img.height, img.width, img.channels);
  for (let i = 0; i < img.data.length; i++) {
    const v = img.data[i];
    out.data[i] = v >= threshold ? 1 - v : v;
  }
  return out;
}

export class RandomSolarize implements ImageTransform {
  constructor(
    readonly p: number,
    readonly threshold = 0.5,
  ) {
    checkProbability(p, 'RandomSolarize p');
  }
  get name(): string {
    return `RandomSolarize(p=${this.p}, threshold=${this.threshold})`;
  }
  apply(img: Image, rng: Rng): Image {
    return rng.next() < this.p ? solarize(img, this.threshold) : img;
  }
}
