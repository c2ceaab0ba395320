/** Random grayscale (torchvision's RandomGrayscale): with probability p, all channels become the luma. */
import type { Rng } from '../../util/rng.ts';
import type { Image } from '../image.ts';
import { toGrayscale } from './color-adjust.ts';
import { type ImageTransform, checkProbability } from './transform.ts';

export class RandomGrayscale implements ImageTransform {
  constructor(readonly p = 0.2) {
    checkProbability(p, 'RandomGrayscale p');
  }
  get name(): string {
    return `RandomGrayscale(p=${this.p})`;
  }
  apply(img: Image, rng: Rng): Image {
    if (rng.next() >= this.p || img.channels === 1) return img;
    return toGrayscale(img, 3);
  }
}
