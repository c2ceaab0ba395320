/**
 * Where the patches of a grid sit in an image. Patches are `patchSize` square, `gap` pixels apart (negative:
 * overlapping, as CPC's half-overlapping patches), and each is moved by up to `jitter` pixels each way, so
 * that neither a shared edge nor a straight line across patches gives their relative position away
 * (Doersch et al. 2015). The whole grid sits at a random place that keeps every patch inside the image.
 */
import type { Rng } from '../../util/rng.ts';
import { type Image, cropImage } from '../image.ts';

export interface PatchGridConfig {
  rows: number;
  cols: number;
  patchSize: number;
  gap: number;
  jitter: number;
}

export interface PatchPosition {
  top: number;
  left: number;
}

/** Height and width the grid spans before jitter. */
export function patchGridSpan(cfg: PatchGridConfig): { height: number; width: number } {
  const stride = cfg.patchSize + cfg.gap;
  return { height: (cfg.rows - 1) * stride + cfg.patchSize, width: (cfg.cols - 1) * stride + cfg.patchSize };
}

/** Throws a RangeError naming the field when the grid cannot fit an image of this size. */
export function checkPatchGrid(cfg: PatchGridConfig, imgHeight: number, imgWidth: number): void {
  const { rows, cols, patchSize, gap, jitter } = cfg;
  if (!(Number.isInteger(rows) && rows > 0 && Number.isInteger(cols) && cols > 0)) throw new RangeError(`patch grid rows and cols must be positive integers, got ${rows}x${cols}`);
  if (!(Number.isInteger(patchSize) && patchSize > 0)) throw new RangeError(`patchSize must be a positive integer, got ${patchSize}`);
  if (!(Number.isInteger(gap) && gap > -patchSize)) throw new RangeError(`gap must be an integer > -patchSize (${-patchSize}), got ${gap}`);
  if (!(Number.isInteger(jitter) && jitter >= 0)) throw new RangeError(`jitter must be a non-negative integer, got ${jitter}`);
  const span = patchGridSpan(cfg);
  if (span.height + 2 * jitter > imgHeight || span.width + 2 * jitter > imgWidth) {
    throw new RangeError(
      `a ${rows}x${cols} grid of ${patchSize}px patches with gap ${gap} and jitter ${jitter} needs ` +
        `${span.height + 2 * jitter}x${span.width + 2 * jitter} pixels, the image is ${imgHeight}x${imgWidth}`,
    );
  }
}

/** Top-left corners of every patch, row-major (rows * cols of them). */
export function samplePatchGrid(imgHeight: number, imgWidth: number, cfg: PatchGridConfig, rng: Rng): PatchPosition[] {
  checkPatchGrid(cfg, imgHeight, imgWidth);
  const span = patchGridSpan(cfg);
  const j = cfg.jitter;
  const top0 = j + rng.int(imgHeight - span.height - 2 * j + 1);
  const left0 = j + rng.int(imgWidth - span.width - 2 * j + 1);
  const stride = cfg.patchSize + cfg.gap;
  const out: PatchPosition[] = [];
  for (let r = 0; r < cfg.rows; r++) {
    for (let c = 0; c < cfg.cols; c++) {
      const dy = j > 0 ? rng.int(2 * j + 1) - j : 0;
      const dx = j > 0 ? rng.int(2 * j + 1) - j : 0;
      out.push({ top: top0 + r * stride + dy, left: left0 + c * stride + dx });
    }
  }
  return out;
}

export function extractPatch(img: Image, at: PatchPosition, patchSize: number): Image {
  return cropImage(img, at.top, at.left, patchSize, patchSize);
}
