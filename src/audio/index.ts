/**
 * The audio frontend's public surface: decoding, resampling, Kaldi features, mel spectrograms, deltas,
 * CMVN, the mel-bank and window builders (for src/index.ts to re-export). Featurizers are in src/features/.
 */
export { decodeAudio, probeAudio, readAudioBlocks, AUDIO_EXTENSIONS, type AudioInfo, type DecodedAudio, type BlockOptions } from './decode.ts';
export { resample, resampledLength, Resampler, sincResampleKernel, RESAMPLE_DEFAULTS, type ResampleOptions } from './resample.ts';
export { kaldiFbank, kaldiMfcc, KaldiFrameProcessor, KaldiFeatureStream, KALDI_EPSILON } from './kaldi.ts';
export { KALDI_FBANK_DEFAULTS, KALDI_MFCC_DEFAULTS, type KaldiFbankOptions, type KaldiMfccOptions, type KaldiFrameOptions } from './kaldi-options.ts';
export { melSpectrogram, MelSpectrogramProcessor, MelSpectrogramStream, MELSPEC_DEFAULTS, type MelSpectrogramOptions } from './melspec.ts';
export { computeDeltas, appendDeltas } from './deltas.ts';
export { utteranceCmvn, type CmvnMode } from './cmvn.ts';
export { kaldiMelBanks, melscaleFbanks, sparseFilterbank, applySparseFilterbank, hzToMel, melToHz, kaldiMel, type MelFilterbank, type MelScale } from './mel.ts';
export { hannWindow, hammingWindow, poveyWindow, blackmanWindow, rectangularWindow, kaldiWindow, centerPadWindow, type WindowType } from './window.ts';
export { RealFft, ComplexFft } from './fft.ts';
export { ShortInputError, type FeatureMatrix, type FeatureStream } from './feature-matrix.ts';
