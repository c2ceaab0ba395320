import { InputError } from '../util/errors.ts';

/**
 * The sample rates a recording may declare. Below 1 kHz nothing is speech (a 1 Hz header turns a 6 KB
 * file into an hour of "audio"); above 768 kHz no converter records, and the header is more likely
 * corrupt than real. Rates in between resample in time linear in the samples whatever their ratio
 * (src/audio/resample.ts).
 */
export const MIN_SAMPLE_RATE = 1000;
export const MAX_SAMPLE_RATE = 768000;

/** Throws an InputError naming the file and the rate when a header's rate is outside the range. */
export function checkSampleRate(rate: number, file: string): void {
  if (!Number.isInteger(rate) || rate < MIN_SAMPLE_RATE || rate > MAX_SAMPLE_RATE) {
    throw new InputError(`header declares a sample rate of ${rate} Hz, outside the supported ${MIN_SAMPLE_RATE}..${MAX_SAMPLE_RATE} Hz`, { file });
  }
}
