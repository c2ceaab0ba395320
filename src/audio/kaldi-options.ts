/**
 * Options of Kaldi's compute-fbank-feats / compute-mfcc-feats, named as torchaudio.compliance.kaldi names
 * them (camelCase here, kebab-case on the command line). Defaults are torchaudio's, in this one place.
 */
import type { WindowType } from './window.ts';
import { WINDOW_TYPES } from './window.ts';

export interface KaldiFrameOptions {
  /** Rate of the waveform, Hz. */
  sampleFrequency: number;
  /** Frame length, ms. */
  frameLength: number;
  /** Frame shift, ms. */
  frameShift: number;
  /** Gaussian dither amplitude (0 = off); seeded per utterance. */
  dither: number;
  preemphasisCoefficient: number;
  removeDcOffset: boolean;
  windowType: WindowType;
  blackmanCoeff: number;
  roundToPowerOfTwo: boolean;
  snipEdges: boolean;
  /** Floor on the log energy (0 = none), as energy, not log. */
  energyFloor: number;
  /** Energy computed before preemphasis and windowing. */
  rawEnergy: boolean;
  /** Minimum duration (s) below which no frames are produced. */
  minDuration: number;
}

export interface KaldiFbankOptions extends KaldiFrameOptions {
  numMelBins: number;
  lowFreq: number;
  /** <= 0: relative to Nyquist. */
  highFreq: number;
  useEnergy: boolean;
  useLogFbank: boolean;
  usePower: boolean;
  htkCompat: boolean;
  subtractMean: boolean;
  /** VTLN warp factor of the filterbank (1 = none; 0.9-1.1 for vocal-tract-length perturbation). */
  vtlnWarp: number;
  /** VTLN band edges, Hz (Kaldi's defaults 100 and -500; <= 0 relative to Nyquist). */
  vtlnLow: number;
  vtlnHigh: number;
}

export interface KaldiMfccOptions extends KaldiFbankOptions {
  numCeps: number;
  cepstralLifter: number;
}

export const KALDI_FRAME_DEFAULTS: KaldiFrameOptions = {
  sampleFrequency: 16000,
  frameLength: 25,
  frameShift: 10,
  dither: 0,
  preemphasisCoefficient: 0.97,
  removeDcOffset: true,
  windowType: 'povey',
  blackmanCoeff: 0.42,
  roundToPowerOfTwo: true,
  snipEdges: true,
  energyFloor: 1,
  rawEnergy: true,
  minDuration: 0,
};

export const KALDI_FBANK_DEFAULTS: KaldiFbankOptions = {
  ...KALDI_FRAME_DEFAULTS,
  numMelBins: 23,
  lowFreq: 20,
  highFreq: 0,
  useEnergy: false,
  useLogFbank: true,
  usePower: true,
  htkCompat: false,
  subtractMean: false,
  vtlnWarp: 1,
  vtlnLow: 100,
  vtlnHigh: -500,
};

export const KALDI_MFCC_DEFAULTS: KaldiMfccOptions = {
  ...KALDI_FBANK_DEFAULTS,
  numCeps: 13,
  cepstralLifter: 22,
};

/** Frame geometry in samples. */
export interface FrameGeometry {
  windowSize: number;
  windowShift: number;
  paddedWindowSize: number;
}

export function frameGeometry(o: KaldiFrameOptions): FrameGeometry {
  const windowShift = Math.trunc(o.sampleFrequency * o.frameShift * 0.001);
  const windowSize = Math.trunc(o.sampleFrequency * o.frameLength * 0.001);
  let padded = windowSize;
  if (o.roundToPowerOfTwo) {
    padded = 1;
    while (padded < windowSize) padded <<= 1;
  }
  return { windowSize, windowShift, paddedWindowSize: padded };
}

/** Throws (naming the option in kebab case) when an option is out of range. */
export function validateKaldiOptions(o: KaldiFbankOptions | KaldiMfccOptions): void {
  const bad = (flag: string, msg: string): never => {
    throw new RangeError(`--${flag}: ${msg}`);
  };
  if (!(o.sampleFrequency > 0)) bad('sample-frequency', `must be positive, got ${o.sampleFrequency}`);
  const g = frameGeometry(o);
  if (g.windowSize < 2) bad('frame-length', `gives a window of ${g.windowSize} samples (need at least 2)`);
  if (g.windowShift < 1) bad('frame-shift', `gives a shift of ${g.windowShift} samples (need at least 1)`);
  if (!o.roundToPowerOfTwo && g.paddedWindowSize % 2 !== 0) bad('frame-length', `the window (${g.windowSize} samples) must be even without round-to-power-of-two`);
  if (!(o.dither >= 0)) bad('dither', `must be >= 0, got ${o.dither}`);
  if (!(o.preemphasisCoefficient >= 0 && o.preemphasisCoefficient <= 1)) bad('preemphasis-coefficient', `must be in [0, 1], got ${o.preemphasisCoefficient}`);
  if (!WINDOW_TYPES.includes(o.windowType)) bad('window-type', `expected one of ${WINDOW_TYPES.join('|')}, got "${o.windowType}"`);
  if (!(o.energyFloor >= 0)) bad('energy-floor', `must be >= 0, got ${o.energyFloor}`);
  if (!Number.isInteger(o.numMelBins) || o.numMelBins <= 3) bad('num-mel-bins', `must be an integer > 3, got ${o.numMelBins}`);
  const nyquist = o.sampleFrequency / 2;
  const high = o.highFreq <= 0 ? o.highFreq + nyquist : o.highFreq;
  if (!(o.lowFreq >= 0 && o.lowFreq < nyquist)) bad('low-freq', `must be in [0, ${nyquist}), got ${o.lowFreq}`);
  if (!(high > 0 && high <= nyquist && high > o.lowFreq)) bad('high-freq', `resolves to ${high} Hz; must be in (low-freq, ${nyquist}]`);
  if (!(o.vtlnWarp > 0 && Number.isFinite(o.vtlnWarp))) bad('vtln-warp', `must be a positive number, got ${o.vtlnWarp}`);
  if ('numCeps' in o) {
    if (!Number.isInteger(o.numCeps) || o.numCeps < 1 || o.numCeps > o.numMelBins) bad('num-ceps', `must be an integer in [1, num-mel-bins=${o.numMelBins}], got ${o.numCeps}`);
    if (!(o.cepstralLifter >= 0)) bad('cepstral-lifter', `must be >= 0, got ${o.cepstralLifter}`);
  }
}
