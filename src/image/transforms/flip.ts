/** Horizontal flip (mirror left-right), and its random form. */
import type { Rng } from '../../util/rng.ts';
import { type Image, createImage } from '../image.ts';
import { type ImageTransform, checkProbability } from './transform.ts';

export function flipHorizontal(img: Image): Image {
  const { height, width, channels: C } = img;
  const out = createImage(height, width, C);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const s = (row + x) * C;
      const d = (row + width - 1 - x) * C;
      for (let c = 0; c < C; c++) out.data[d + c] = img.data[s + c];
    }
  }
  return out;
}

export class RandomHorizontalFlip implements ImageTransform {
  constructor(readonly p = 0.5) {
    checkProbability(p, 'RandomHorizontalFlip p');
  }
  get name(): string {
    return `RandomHorizontalFlip(p=${this.p})`;
  }
  apply(img: Image, rng: Rng): Image {
    return rng.next() < this.p ? flipHorizontal(img) : img;
  }
}
