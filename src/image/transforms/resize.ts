/**
 * Bilinear resampling of an image region to a new size. Pixel centres sit at half-integers (PyTorch's
 * align_corners=False); when shrinking, the triangle filter widens by the shrink factor (antialias, as PIL
 * and torchvision's antialias=True do), so every source pixel contributes. At the same size it is the identity.
 */
import { type Image, createImage } from '../image.ts';

export interface ResizeOptions {
  /** Widen the filter when shrinking (default true). */
  antialias: boolean;
}
export const defaultResizeOptions: ResizeOptions = { antialias: true };

/** Per output position: the first source index and the weights of the taps that follow it. */
interface AxisTaps {
  first: Int32Array;
  count: Int32Array;
  /** `maxTaps` weights per output position, normalised to sum 1. */
  weights: Float32Array;
  maxTaps: number;
}

function axisTaps(inLen: number, outLen: number, antialias: boolean): AxisTaps {
  const scale = inLen / outLen;
  const support = antialias && scale > 1 ? scale : 1;
  const maxTaps = Math.ceil(2 * support) + 1;
  const first = new Int32Array(outLen);
  const count = new Int32Array(outLen);
  const weights = new Float32Array(outLen * maxTaps);
  for (let o = 0; o < outLen; o++) {
    const centre = (o + 0.5) * scale;
    const lo = Math.max(0, Math.floor(centre - support));
    const hi = Math.min(inLen, Math.ceil(centre + support));
    let sum = 0;
    let n = 0;
    for (let j = lo; j < hi && n < maxTaps; j++, n++) {
      const w = Math.max(0, 1 - Math.abs(j + 0.5 - centre) / support);
      weights[o * maxTaps + n] = w;
      sum += w;
    }
    for (let k = 0; k < n; k++) weights[o * maxTaps + k] /= sum;
    first[o] = lo;
    count[o] = n;
  }
  return { first, count, weights, maxTaps };
}

/**
 * Resamples the rectangle [top, top+height) x [left, left+width) of `img` to outHeight x outWidth.
 * Only pixels inside the rectangle are read (as cropping first, then resizing).
 */
export function resizeRegion(
  img: Image,
  top: number,
  left: number,
  height: number,
  width: number,
  outHeight: number,
  outWidth: number,
  options: Partial<ResizeOptions> = {},
): Image {
  const { antialias } = { ...defaultResizeOptions, ...options };
  if (top < 0 || left < 0 || height < 1 || width < 1 || top + height > img.height || left + width > img.width) {
    throw new RangeError(`region ${height}x${width} at (${top}, ${left}) does not fit a ${img.height}x${img.width} image`);
  }
  const C = img.channels;
  const out = createImage(outHeight, outWidth, C);
  const xt = axisTaps(width, outWidth, antialias);
  const yt = axisTaps(height, outHeight, antialias);
  const src = img.data;
  // Horizontal pass over the region's rows: tmp is height x outWidth x C.
  const tmp = new Float32Array(height * outWidth * C);
  for (let y = 0; y < height; y++) {
    const rowBase = ((top + y) * img.width + left) * C;
    for (let ox = 0; ox < outWidth; ox++) {
      const o = (y * outWidth + ox) * C;
      const f = xt.first[ox];
      const wBase = ox * xt.maxTaps;
      for (let k = 0; k < xt.count[ox]; k++) {
        const w = xt.weights[wBase + k];
        const s = rowBase + (f + k) * C;
        for (let c = 0; c < C; c++) tmp[o + c] += w * src[s + c];
      }
    }
  }
  // Vertical pass.
  const dst = out.data;
  const rowLen = outWidth * C;
  for (let oy = 0; oy < outHeight; oy++) {
    const o = oy * rowLen;
    const f = yt.first[oy];
    const wBase = oy * yt.maxTaps;
    for (let k = 0; k < yt.count[oy]; k++) {
      const w = yt.weights[wBase + k];
      const s = (f + k) * rowLen;
      for (let i = 0; i < rowLen; i++) dst[o + i] += w * tmp[s + i];
    }
  }
  return out;
}

/** Resizes a whole image; returns the input itself when the size already matches. */
export function resizeImage(img: Image, outHeight: number, outWidth: number, options: Partial<ResizeOptions> = {}): Image {
  if (outHeight === img.height && outWidth === img.width) return img;
  return resizeRegion(img, 0, 0, img.height, img.width, outHeight, outWidth, options);
}

/** Resizes every image to a fixed size (the evaluation-time view, or a loader's common size). */
export class Resize {
  constructor(
    readonly height: number,
    readonly width: number,
    readonly options: Partial<ResizeOptions> = {},
  ) {
    if (!(Number.isInteger(height) && height > 0 && Number.isInteger(width) && width > 0)) {
      throw new RangeError(`Resize size must be positive integers, got ${height}x${width}`);
    }
  }
  get name(): string {
    return `Resize(${this.height}x${this.width})`;
  }
  apply(img: Image): Image {
    return resizeImage(img, this.height, this.width, this.options);
  }
}
