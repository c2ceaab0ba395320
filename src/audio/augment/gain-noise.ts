import type { Rng } from '../../util/rng.ts';

/**
 * Level and noise augmentations on log-mel values (natural log of power, as fbank and melspec write):
 *   random gain: every value of the segment shifted by g * ln(10) / 10 for one g ~ U(-maxDb, maxDb) dB
 *                (a gain of g dB multiplies the power by 10^(g/10));
 *   gaussian noise: independent N(0, std^2) added to every value.
 */
export const LN10_OVER_10 = Math.log(10) / 10;

/** Adds a gain of `db` decibels (power) to a log-power segment. */
export function applyGainDb(x: Float32Array, db: number): Float32Array {
  const shift = db * LN10_OVER_10;
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] + shift;
  return out;
}

/** A random gain in [-maxDb, maxDb] dB (the draw is made even when maxDb is 0, so streams stay aligned). */
export function randomGain(x: Float32Array, maxDb: number, rng: Rng): Float32Array {
  if (!(maxDb >= 0)) throw new Error(`random gain: maxDb must be >= 0, got ${maxDb}`);
  return applyGainDb(x, rng.uniform(-maxDb, maxDb));
}

/** x + N(0, std^2) per value; a copy of x when std is 0. */
export function gaussianNoise(x: Float32Array, std: number, rng: Rng): Float32Array {
  if (!(std >= 0)) throw new Error(`gaussian noise: std must be >= 0, got ${std}`);
  const out = Float32Array.from(x);
  if (std === 0) return out;
  for (let i = 0; i < out.length; i++) out[i] += rng.normal(0, std);
  return out;
}
