import type { Rng } from '../../util/rng.ts';

/**
 * A fixed-length segment of one utterance of a batch (BYOL-A trains on fixed-size log-mel crops): a
 * random window of `frames` frames when the utterance is longer, the whole utterance padded at the end
 * with its own minimum (its quietest level, what zero-padded audio looks like after the log) when shorter.
 * `values` is the utterance's valid frames, row-major [length, bins].
 */
export function fixedSegment(values: Float32Array, length: number, bins: number, frames: number, rng: Rng, random = true): Float32Array {
  if (values.length < length * bins) throw new Error(`segment: ${values.length} values for ${length} frames of ${bins}`);
  if (!(length >= 1)) throw new Error('segment: the utterance has no frames');
  if (length >= frames) {
    const start = random ? rng.int(length - frames + 1) : 0;
    return Float32Array.from(values.subarray(start * bins, (start + frames) * bins));
  }
  let min = Infinity;
  for (let i = 0; i < length * bins; i++) if (values[i] < min) min = values[i];
  const out = new Float32Array(frames * bins).fill(min);
  out.set(values.subarray(0, length * bins));
  return out;
}
