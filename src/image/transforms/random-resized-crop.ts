/**
 * Random resized crop (Szegedy et al.; torchvision's RandomResizedCrop): pick a box covering a random
 * fraction of the area (scale) with a random aspect ratio (log-uniform in ratio), at a random place, and
 * resample it bilinearly to the output size. Ten tries, then the largest centred box with an allowed ratio.
 */
import type { Rng } from '../../util/rng.ts';
import type { Image } from '../image.ts';
import { resizeRegion } from './resize.ts';
import type { ImageTransform } from './transform.ts';

export interface RandomResizedCropConfig {
  height: number;
  width: number;
  /** Range of the box's area as a fraction of the image's. */
  scale: [number, number];
  /** Range of the box's width / height. */
  ratio: [number, number];
  antialias: boolean;
}
export const defaultRandomResizedCropConfig: Omit<RandomResizedCropConfig, 'height' | 'width'> = {
  scale: [0.08, 1.0],
  ratio: [3 / 4, 4 / 3],
  antialias: true,
};

export interface CropBox {
  top: number;
  left: number;
  height: number;
  width: number;
}

/** The box torchvision's RandomResizedCrop.get_params would choose for these draws. */
export function sampleCropBox(imgHeight: number, imgWidth: number, scale: [number, number], ratio: [number, number], rng: Rng): CropBox {
  const area = imgHeight * imgWidth;
  const logLo = Math.log(ratio[0]);
  const logHi = Math.log(ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logLo, logHi));
    const w = Math.round(Math.sqrt(target * aspect));
    const h = Math.round(Math.sqrt(target / aspect));
    if (w > 0 && w <= imgWidth && h > 0 && h <= imgHeight) {
      return { top: rng.int(imgHeight - h + 1), left: rng.int(imgWidth - w + 1), height: h, width: w };
    }
  }
  const inRatio = imgWidth / imgHeight;
  let w = imgWidth;
  let h = imgHeight;
  if (inRatio < ratio[0]) h = Math.round(w / ratio[0]);
  else if (inRatio > ratio[1]) w = Math.round(h * ratio[1]);
  return { top: Math.floor((imgHeight - h) / 2), left: Math.floor((imgWidth - w) / 2), height: h, width: w };
}

export class RandomResizedCrop implements ImageTransform {
  readonly config: RandomResizedCropConfig;
  constructor(config: Pick<RandomResizedCropConfig, 'height' | 'width'> & Partial<RandomResizedCropConfig>) {
    this.config = { ...defaultRandomResizedCropConfig, ...config };
    const { scale, ratio, height, width } = this.config;
    if (!(scale[0] > 0 && scale[0] <= scale[1] && scale[1] <= 1)) throw new RangeError(`RandomResizedCrop scale must satisfy 0 < lo <= hi <= 1, got [${scale}]`);
    if (!(ratio[0] > 0 && ratio[0] <= ratio[1])) throw new RangeError(`RandomResizedCrop ratio must satisfy 0 < lo <= hi, got [${ratio}]`);
    if (!(Number.isInteger(height) && height > 0 && Number.isInteger(width) && width > 0)) {
      throw new RangeError(`RandomResizedCrop size must be positive integers, got ${height}x${width}`);
    }
  }
  get name(): string {
    const c = this.config;
    return `RandomResizedCrop(${c.height}x${c.width}, scale=[${c.scale}], ratio=[${c.ratio.map((r) => r.toFixed(3))}])`;
  }
  apply(img: Image, rng: Rng): Image {
    const c = this.config;
    const box = sampleCropBox(img.height, img.width, c.scale, c.ratio, rng);
    return resizeRegion(img, box.top, box.left, box.height, box.width, c.height, c.width, { antialias: c.antialias });
  }
}
