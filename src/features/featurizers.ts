/**
 * The built-in featurizer kinds: Kaldi `fbank` and `mfcc` (torchaudio.compliance.kaldi), and `melspec`
 * (torchaudio.transforms.MelSpectrogram). Each declares its flags from its defaults object.
 */
import type { CommonFeatureOptions, Featurizer, FeaturizerKind, FeaturizeContext } from './featurizer.ts';
import { utteranceSeed } from './utterance-seed.ts';
import { runStream } from '../audio/feature-matrix.ts';
import { resolveOptions, specsFromDefaults, type OptionValues } from './feature-options.ts';
import { KaldiFeatureStream, KaldiFrameProcessor } from '../audio/kaldi.ts';
import { KALDI_FBANK_DEFAULTS, KALDI_MFCC_DEFAULTS, frameGeometry, type KaldiFbankOptions, type KaldiMfccOptions } from '../audio/kaldi-options.ts';
import { MELSPEC_DEFAULTS, MelSpectrogramProcessor, MelSpectrogramStream, type MelSpectrogramOptions } from '../audio/melspec.ts';
import { WINDOW_TYPES } from '../audio/window.ts';

const KALDI_HELP: Record<string, string> = {
  sampleFrequency: 'rate the audio is resampled to, Hz',
  frameLength: 'frame length, ms',
  frameShift: 'frame shift, ms',
  dither: 'Gaussian dither amplitude (0 = off; seeded, see --seed)',
  preemphasisCoefficient: 'preemphasis coefficient',
  removeDcOffset: 'subtract each frame\'s mean',
  windowType: 'frame window',
  blackmanCoeff: 'Blackman window coefficient',
  roundToPowerOfTwo: 'zero-pad frames to a power of two for the FFT',
  snipEdges: 'only whole frames (false: reflect the edges, frames centred every shift)',
  energyFloor: 'floor on the energy (0 = none)',
  rawEnergy: 'energy before preemphasis and windowing',
  minDuration: 'shorter input gives zero frames, s',
  numMelBins: 'mel bins',
  lowFreq: 'low cutoff of the mel bins, Hz',
  highFreq: 'high cutoff, Hz (<= 0: relative to Nyquist)',
  useEnergy: 'add the log energy (first column; last with --htk-compat)',
  useLogFbank: 'log of the mel energies',
  usePower: 'power spectrum (false: magnitude)',
  htkCompat: 'HTK layout: energy or C0 last',
  subtractMean: 'subtract the utterance mean of each column (Kaldi\'s subtract_mean)',
  vtlnWarp: 'VTLN warp factor of the mel filterbank (1 = none; 0.9/1.1: vocal-tract-length perturbation)',
  vtlnLow: 'VTLN lower band edge, Hz',
  vtlnHigh: 'VTLN upper band edge, Hz (<= 0: relative to Nyquist)',
  numCeps: 'cepstra kept',
  cepstralLifter: 'cepstral lifter coefficient (0 = none)',
};

/** fbank's default differs from Kaldi's 23 bins: 80, the speech-SSL setting. */
export const FBANK_DEFAULTS: KaldiFbankOptions = { ...KALDI_FBANK_DEFAULTS, numMelBins: 80 };
export const MFCC_DEFAULTS: KaldiMfccOptions = KALDI_MFCC_DEFAULTS;

const KALDI_INTS = ['numMelBins', 'numCeps'];

function kaldiFeaturizer(kind: 'fbank' | 'mfcc', o: KaldiFbankOptions | KaldiMfccOptions, common: CommonFeatureOptions): Featurizer {
  const proc = new KaldiFrameProcessor(kind, o);
  const stream = (ctx: FeaturizeContext = {}) => new KaldiFeatureStream(proc, { expectedSamples: ctx.expectedSamples, seed: utteranceSeed(common.seed, ctx.key), allowShort: common.allowShort });
  return {
    kind,
    sampleRate: o.sampleFrequency,
    dims: proc.dims,
    config: { kind, ...withoutUnwarped(o), ...frameGeometry(o) },
    compute: (waveform, ctx = {}) => runStream(stream({ ...ctx, expectedSamples: waveform.length }), waveform),
    stream,
  };
}

/** The options as features.json records them: the VTLN fields only when the filterbank is warped. */
function withoutUnwarped(o: KaldiFbankOptions | KaldiMfccOptions): Partial<KaldiMfccOptions> {
  if (o.vtlnWarp !== 1) return o;
  const { vtlnWarp: _w, vtlnLow: _l, vtlnHigh: _h, ...rest } = o;
  return rest;
}

export const fbankKind: FeaturizerKind = {
  name: 'fbank',
  summary: 'Kaldi filterbank (torchaudio.compliance.kaldi.fbank), 80 log-mel bins by default',
  matches: (s) => s === 'fbank',
  options: specsFromDefaults(FBANK_DEFAULTS, KALDI_HELP, { choices: { windowType: WINDOW_TYPES }, ints: KALDI_INTS }),
  create: (_spec: string, values: OptionValues, common: CommonFeatureOptions) => kaldiFeaturizer('fbank', resolveOptions(FBANK_DEFAULTS, values), common),
};

export const mfccKind: FeaturizerKind = {
  name: 'mfcc',
  summary: 'Kaldi MFCC (torchaudio.compliance.kaldi.mfcc), 13 cepstra; --deltas for the 39 of HuBERT',
  matches: (s) => s === 'mfcc',
  options: specsFromDefaults(MFCC_DEFAULTS, KALDI_HELP, { choices: { windowType: WINDOW_TYPES }, ints: KALDI_INTS }),
  create: (_spec: string, values: OptionValues, common: CommonFeatureOptions) => kaldiFeaturizer('mfcc', resolveOptions(MFCC_DEFAULTS, values), common),
};

const MELSPEC_HELP: Record<string, string> = {
  sampleRate: 'rate the audio is resampled to, Hz',
  nFft: 'FFT size (any even size)',
  winLength: 'window length (0 = n-fft)',
  hopLength: 'hop between frames, samples',
  fMin: 'lowest mel frequency, Hz',
  fMax: 'highest mel frequency, Hz (0 = Nyquist)',
  nMels: 'mel bands',
  power: 'exponent of the magnitude (2 = power)',
  center: 'reflect-pad n-fft/2 on both sides (torch.stft center=True)',
  norm: 'filter normalisation',
  melScale: 'mel scale',
  log: 'natural log of (mel + log-offset)',
  logOffset: 'offset inside the log',
};

export const melspecKind: FeaturizerKind = {
  name: 'melspec',
  summary: 'mel spectrogram (torchaudio.transforms.MelSpectrogram), 80 bands, --log for log-mel',
  matches: (s) => s === 'melspec',
  options: specsFromDefaults(MELSPEC_DEFAULTS, MELSPEC_HELP, {
    choices: { norm: ['none', 'slaney'], melScale: ['htk', 'slaney'] },
    flags: { sampleRate: 'sample-frequency' },
    ints: ['nFft', 'winLength', 'hopLength', 'nMels'],
  }),
  create(_spec: string, values: OptionValues, common: CommonFeatureOptions): Featurizer {
    const o: MelSpectrogramOptions = resolveOptions(MELSPEC_DEFAULTS, values);
    const proc = new MelSpectrogramProcessor(o);
    const stream = (ctx: FeaturizeContext = {}) => new MelSpectrogramStream(proc, { expectedSamples: ctx.expectedSamples, allowShort: common.allowShort });
    return {
      kind: 'melspec',
      sampleRate: o.sampleRate,
      dims: proc.dims,
      config: { kind: 'melspec', ...o },
      compute: (waveform, ctx = {}) => runStream(stream({ ...ctx, expectedSamples: waveform.length }), waveform),
      stream,
    };
  },
};
