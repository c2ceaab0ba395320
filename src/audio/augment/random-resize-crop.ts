import type { Rng } from '../../util/rng.ts';

/**
 * BYOL-A's random resize crop on a log-mel segment (Niizumi et al. 2021, sec. 3.3.2), for a row-major
 * [frames, bins] matrix (time-major, the layout this project's features use).
 *
 * The segment is placed at the centre of a larger virtual canvas (`virtualScale` times its size along
 * time and frequency; the margin holds `fill`). A crop whose size is the segment's times a factor drawn
 * from `timeScale` / `freqScale` (clipped to the canvas, at least 1) is taken at a uniform position in
 * the canvas and resized back to the segment's size by bilinear interpolation (half-pixel centres, as
 * `align_corners=False`). The crop can therefore zoom in (factor < 1), zoom out and shift in time (a
 * canvas wider than the segment), or stretch and squeeze the frequency axis.
 */
export interface RandomResizeCropOptions {
  /** Canvas size over segment size, [time, frequency] (BYOL-A: 1.5 in time, 1.0 in frequency). */
  virtualScale: [number, number];
  /** Range of the crop's length over the segment's length, in time. */
  timeScale: [number, number];
  /** Range of the crop's height over the segment's height, in frequency. */
  freqScale: [number, number];
}

export const BYOLA_CROP_DEFAULTS: RandomResizeCropOptions = { virtualScale: [1.5, 1.0], timeScale: [0.6, 1.5], freqScale: [0.6, 1.5] };

/** Where a crop lies in the canvas, in canvas cells: start (time, freq) and size (time, freq). */
export interface CropBox {
  canvasFrames: number;
  canvasBins: number;
  t0: number;
  f0: number;
  frames: number;
  bins: number;
}

function checkRange(name: string, r: [number, number], min: number): void {
  if (!(r.length === 2 && r[0] >= min && r[1] >= r[0] && Number.isFinite(r[1]))) throw new Error(`random resize crop: ${name} must be [lo, hi] with ${min} <= lo <= hi, got [${r}]`);
}

/** Draws a crop box for a [frames, bins] segment. */
export function sampleCropBox(frames: number, bins: number, opts: RandomResizeCropOptions, rng: Rng): CropBox {
  const v = opts.virtualScale;
  if (!(v.length === 2 && v[0] >= 1 && v[1] >= 1 && Number.isFinite(v[0]) && Number.isFinite(v[1]))) throw new Error(`random resize crop: virtualScale must be [time, freq], each >= 1, got [${v}]`);
  checkRange('timeScale', opts.timeScale, 0);
  checkRange('freqScale', opts.freqScale, 0);
  const canvasFrames = Math.floor(frames * opts.virtualScale[0]);
  const canvasBins = Math.floor(bins * opts.virtualScale[1]);
  const ct = Math.min(Math.max(Math.floor(rng.uniform(opts.timeScale[0], opts.timeScale[1]) * frames), 1), canvasFrames);
  const cf = Math.min(Math.max(Math.floor(rng.uniform(opts.freqScale[0], opts.freqScale[1]) * bins), 1), canvasBins);
  const t0 = canvasFrames > ct ? rng.int(canvasFrames - ct + 1) : 0;
  const f0 = canvasBins > cf ? rng.int(canvasBins - cf + 1) : 0;
  return { canvasFrames, canvasBins, t0, f0, frames: ct, bins: cf };
}

/** Source coordinate (in crop cells) of output cell `o` when `n` cells are resized to `out`. */
function sourceCoord(o: number, n: number, out: number): number {
  const s = ((o + 0.5) * n) / out - 0.5;
  return Math.min(Math.max(s, 0), n - 1);
}

/**
 * Cuts `box` out of the canvas holding `x` ([frames, bins], centred) and resizes it to [frames, bins].
 * Canvas cells outside the segment read `fill`.
 */
export function resizeCrop(x: Float32Array, frames: number, bins: number, box: CropBox, fill: number): Float32Array {
  if (x.length !== frames * bins) throw new Error(`random resize crop: ${x.length} values for [${frames}, ${bins}]`);
  const offT = Math.floor((box.canvasFrames - frames) / 2);
  const offF = Math.floor((box.canvasBins - bins) / 2);
  const at = (ct: number, cf: number): number => {
    const t = ct - offT;
    const f = cf - offF;
    return t >= 0 && t < frames && f >= 0 && f < bins ? x[t * bins + f] : fill;
  };
  const out = new Float32Array(frames * bins);
  for (let o = 0; o < frames; o++) {
    const st = box.t0 + sourceCoord(o, box.frames, frames);
    const t = Math.floor(st);
    const t1 = Math.min(t + 1, box.t0 + box.frames - 1);
    const wt = st - t;
    for (let p = 0; p < bins; p++) {
      const sf = box.f0 + sourceCoord(p, box.bins, bins);
      const f = Math.floor(sf);
      const f1 = Math.min(f + 1, box.f0 + box.bins - 1);
      const wf = sf - f;
      const top = at(t, f) * (1 - wf) + at(t, f1) * wf;
      const bottom = at(t1, f) * (1 - wf) + at(t1, f1) * wf;
      out[o * bins + p] = top * (1 - wt) + bottom * wt;
    }
  }
  return out;
}

/** One random resize crop of a [frames, bins] segment (margin filled with the segment's minimum). */
export function randomResizeCrop(x: Float32Array, frames: number, bins: number, opts: RandomResizeCropOptions, rng: Rng): Float32Array {
  const box = sampleCropBox(frames, bins, opts, rng);
  let min = Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] < min) min = x[i];
  return resizeCrop(x, frames, bins, box, min);
}
