/**
 * Gaussian blur: a separable kernel exp(-x^2 / 2 sigma^2), normalised, with reflect padding at the borders
 * (as torchvision's gaussian_blur on tensors). The random form draws sigma uniformly from a range, as
 * SimCLR and BYOL do (sigma in [0.1, 2.0]); the kernel reaches 3 sigma each side unless a size is given.
 */
import type { Rng } from '../../util/rng.ts';
import { type Image, createImage } from '../image.ts';
import type { ImageTransform } from './transform.ts';

/** The normalised 1-D kernel, 2 * radius + 1 taps. */
export function gaussianKernel(sigma: number, radius: number): Float32Array {
  if (!(sigma > 0)) throw new RangeError(`gaussian sigma must be > 0, got ${sigma}`);
  const k = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const v = Math.exp(-(i * i) / (2 * sigma * sigma));
    k[i + radius] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/** Index into [0, n) reflecting at the edges without repeating the edge pixel (numpy/torch "reflect"). */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let j = i % period;
  if (j < 0) j += period;
  return j < n ? j : period - j;
}

/** Source index for each padded position -radius..n-1+radius, reflecting at the edges. */
function reflectTable(n: number, radius: number): Int32Array {
  const t = new Int32Array(n + 2 * radius);
  for (let i = 0; i < t.length; i++) t[i] = reflectIndex(i - radius, n);
  return t;
}

/** Blurs with the given sigma; `radius` defaults to ceil(3 sigma). */
export function gaussianBlur(img: Image, sigma: number, radius = Math.ceil(3 * sigma)): Image {
  const kernel = gaussianKernel(sigma, radius);
  const taps = kernel.length;
  const { height: H, width: W, channels: C } = img;
  const xs = reflectTable(W, radius);
  const ys = reflectTable(H, radius);
  const tmp = new Float32Array(img.data.length);
  const src = img.data;
  for (let y = 0; y < H; y++) {
    const row = y * W;
    for (let x = 0; x < W; x++) {
      const o = (row + x) * C;
      for (let k = 0; k < taps; k++) {
        const w = kernel[k];
        const s = (row + xs[x + k]) * C;
        for (let c = 0; c < C; c++) tmp[o + c] += w * src[s + c];
      }
    }
  }
  const out = createImage(H, W, C);
  const dst = out.data;
  const rowLen = W * C;
  for (let y = 0; y < H; y++) {
    const o = y * rowLen;
    for (let k = 0; k < taps; k++) {
      const w = kernel[k];
      const s = ys[y + k] * rowLen;
      for (let i = 0; i < rowLen; i++) dst[o + i] += w * tmp[s + i];
    }
  }
  return out;
}

export interface GaussianBlurConfig {
  sigma: [number, number];
  /** Odd kernel size; null reaches 3 sigma each side. */
  kernelSize: number | null;
}
export const defaultGaussianBlurConfig: GaussianBlurConfig = { sigma: [0.1, 2.0], kernelSize: null };

/** Blur with sigma drawn from a range (wrap in RandomApply for a probability). */
export class GaussianBlur implements ImageTransform {
  readonly config: GaussianBlurConfig;
  constructor(config: Partial<GaussianBlurConfig> = {}) {
    this.config = { ...defaultGaussianBlurConfig, ...config };
    const { sigma, kernelSize } = this.config;
    if (!(sigma[0] > 0 && sigma[0] <= sigma[1])) throw new RangeError(`GaussianBlur sigma range must satisfy 0 < lo <= hi, got [${sigma}]`);
    if (kernelSize !== null && !(Number.isInteger(kernelSize) && kernelSize > 0 && kernelSize % 2 === 1)) {
      throw new RangeError(`GaussianBlur kernelSize must be a positive odd integer, got ${kernelSize}`);
    }
  }
  get name(): string {
    return `GaussianBlur(sigma=[${this.config.sigma}]${this.config.kernelSize ? `, kernel=${this.config.kernelSize}` : ''})`;
  }
  apply(img: Image, rng: Rng): Image {
    const sigma = rng.uniform(this.config.sigma[0], this.config.sigma[1]);
    const radius = this.config.kernelSize === null ? Math.ceil(3 * sigma) : (this.config.kernelSize - 1) / 2;
    return gaussianBlur(img, sigma, radius);
  }
}
