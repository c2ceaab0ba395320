import { type Image, createImage } from '../../src/image/image.ts';
import type { Rng } from '../../src/util/rng.ts';

/** An image whose channel 0 is y / (H - 1), channel 1 is x / (W - 1), channel 2 constant 0.5. */
export function coordinateImage(height: number, width: number): Image {
  const img = createImage(height, width, 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      img.data[i] = y / (height - 1);
      img.data[i + 1] = x / (width - 1);
      img.data[i + 2] = 0.5;
    }
  }
  return img;
}

/** Uniform random pixels in [0, 1]. */
export function randomImage(height: number, width: number, channels: number, rng: Rng): Image {
  const img = createImage(height, width, channels);
  for (let i = 0; i < img.data.length; i++) img.data[i] = rng.next();
  return img;
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function minMax(a: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of a) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}
