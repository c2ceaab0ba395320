/**
 * Colour adjustments with torchvision's tensor semantics (torchvision.transforms.functional, float images):
 * each blends the image with a reference and clamps to [0, 1] —
 *   brightness: with black,                      out = f * x
 *   contrast:   with the mean grey level,        out = f * x + (1 - f) * mean(gray(x))
 *   saturation: with the pixel's own grey level, out = f * x + (1 - f) * gray(x)
 * and hue rotates the hue channel in HSV space by a fraction of a turn in [-0.5, 0.5].
 * A factor of 1 (hue shift 0) leaves the image as it is. Grey images (one channel) ignore saturation and hue.
 */
import { type Image, createImage } from '../image.ts';

/** ITU-R 601 luma weights, as torchvision's rgb_to_grayscale. */
export const GRAY_WEIGHTS = [0.2989, 0.587, 0.114] as const;

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

function checkRgb(img: Image, what: string): void {
  if (img.channels !== 3 && img.channels !== 1) throw new RangeError(`${what} needs 1 or 3 channels, got ${img.channels}`);
}

/** The grey level of each pixel (one channel). */
export function grayLevels(img: Image): Float32Array {
  checkRgb(img, 'grayscale');
  const n = img.height * img.width;
  if (img.channels === 1) return img.data.slice();
  const out = new Float32Array(n);
  const d = img.data;
  for (let p = 0, i = 0; p < n; p++, i += 3) out[p] = GRAY_WEIGHTS[0] * d[i] + GRAY_WEIGHTS[1] * d[i + 1] + GRAY_WEIGHTS[2] * d[i + 2];
  return out;
}

export function adjustBrightness(img: Image, factor: number): Image {
  if (factor === 1) return img;
  const out = createImage(img.height, img.width, img.channels);
  for (let i = 0; i < img.data.length; i++) out.data[i] = clamp01(factor * img.data[i]);
  return out;
}

export function adjustContrast(img: Image, factor: number): Image {
  if (factor === 1) return img;
  checkRgb(img, 'contrast');
  const gray = grayLevels(img);
  let sum = 0;
  for (const g of gray) sum += g;
  const mean = sum / gray.length;
  const out = createImage(img.height, img.width, img.channels);
  const offset = (1 - factor) * mean;
  for (let i = 0; i < img.data.length; i++) out.data[i] = clamp01(factor * img.data[i] + offset);
  return out;
}

export function adjustSaturation(img: Image, factor: number): Image {
  if (factor === 1 || img.channels === 1) return img;
  checkRgb(img, 'saturation');
  const gray = grayLevels(img);
  const out = createImage(img.height, img.width, 3);
  const g1 = 1 - factor;
  for (let p = 0, i = 0; p < gray.length; p++, i += 3) {
    const base = g1 * gray[p];
    out.data[i] = clamp01(factor * img.data[i] + base);
    out.data[i + 1] = clamp01(factor * img.data[i + 1] + base);
    out.data[i + 2] = clamp01(factor * img.data[i + 2] + base);
  }
  return out;
}

/** Rotates hue by `shift` turns (in [-0.5, 0.5]) through HSV, as torchvision's adjust_hue. */
export function adjustHue(img: Image, shift: number): Image {
  if (!(shift >= -0.5 && shift <= 0.5)) throw new RangeError(`hue shift must be in [-0.5, 0.5], got ${shift}`);
  if (shift === 0 || img.channels === 1) return img;
  checkRgb(img, 'hue');
  const out = createImage(img.height, img.width, 3);
  const s = img.data;
  const d = out.data;
  for (let i = 0; i < s.length; i += 3) {
    const r = s[i];
    const g = s[i + 1];
    const b = s[i + 2];
    // RGB -> HSV
    const maxc = Math.max(r, g, b);
    const minc = Math.min(r, g, b);
    const cr = maxc - minc;
    const v = maxc;
    let h = 0;
    let sat = 0;
    if (cr > 0) {
      sat = cr / maxc;
      const rc = (maxc - r) / cr;
      const gc = (maxc - g) / cr;
      const bc = (maxc - b) / cr;
      if (maxc === r) h = bc - gc;
      else if (maxc === g) h = 2 + rc - bc;
      else h = 4 + gc - rc;
      h = h / 6 + 1;
      h -= Math.floor(h);
    }
    // shift
    h += shift;
    h -= Math.floor(h);
    // HSV -> RGB
    const h6 = h * 6;
    const k = Math.floor(h6);
    const f = h6 - k;
    const p = clamp01(v * (1 - sat));
    const q = clamp01(v * (1 - sat * f));
    const t = clamp01(v * (1 - sat * (1 - f)));
    switch (k % 6) {
      case 0: d[i] = v; d[i + 1] = t; d[i + 2] = p; break;
      case 1: d[i] = q; d[i + 1] = v; d[i + 2] = p; break;
      case 2: d[i] = p; d[i + 1] = v; d[i + 2] = t; break;
      case 3: d[i] = p; d[i + 1] = q; d[i + 2] = v; break;
      case 4: d[i] = t; d[i + 1] = p; d[i + 2] = v; break;
      default: d[i] = v; d[i + 1] = p; d[i + 2] = q; break;
    }
  }
  return out;
}

/** Grey version of an image, with `outChannels` equal channels (3 keeps it RGB-shaped). */
export function toGrayscale(img: Image, outChannels: 1 | 3 = 3): Image {
  const gray = grayLevels(img);
  if (outChannels === 1) return { data: gray, height: img.height, width: img.width, channels: 1 };
  const out = createImage(img.height, img.width, 3);
  for (let p = 0, i = 0; p < gray.length; p++, i += 3) {
    out.data[i] = gray[p];
    out.data[i + 1] = gray[p];
    out.data[i + 2] = gray[p];
  }
  return out;
}
