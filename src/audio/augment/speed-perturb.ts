import { resample, resampledLength } from '../resample.ts';

/**
 * Speed perturbation as Kaldi's recipes do it (Ko et al. 2015, "Audio augmentation for speech
 * recognition"; `utils/perturb_data_dir_speed.sh`, which runs `sox ... speed F`): the recording is played
 * F times faster, so it lasts 1/F as long and every frequency (pitch and formants) is multiplied by F.
 * Done by resampling: the samples are read as if taken at F x rate Hz and resampled to `rate` Hz with
 * torchaudio's windowed-sinc resampler (the Hann-windowed default), which also low-passes when F > 1.
 * The usual factors are 0.9, 1.0 and 1.1 (three copies of the training data).
 */
export const KALDI_SPEED_FACTORS: readonly number[] = Object.freeze([0.9, 1.0, 1.1]);

/** The rates the resampler runs between: round(F x rate) to rate (integers, as the resampler needs). */
export function speedRates(rate: number, factor: number): { from: number; to: number } {
  if (!(factor > 0 && Number.isFinite(factor))) throw new Error(`speed perturbation: the factor must be a positive number, got ${factor}`);
  if (!(Number.isInteger(rate) && rate > 0)) throw new Error(`speed perturbation: the sample rate must be a positive integer, got ${rate}`);
  return { from: Math.round(factor * rate), to: rate };
}

/** `samples` at `rate` Hz, played `factor` times as fast (same rate; length about n / factor). */
export function speedPerturb(samples: Float32Array, rate: number, factor: number): Float32Array {
  const { from, to } = speedRates(rate, factor);
  if (from === to) return samples.slice();
  return resample(samples, from, to);
}

/** Length of `speedPerturb` output for `n` input samples (for manifests of perturbed copies). */
export function speedPerturbedLength(n: number, rate: number, factor: number): number {
  const { from, to } = speedRates(rate, factor);
  return from === to ? n : resampledLength(n, from, to);
}
