import type { GraphBuilder } from './graph.ts';
import { DataType } from '../util/onnx-schema.ts';
import type { KaldiFbankOptions } from '../audio/kaldi-options.ts';
import { kaldiMelBanks, melscaleFbanks, type MelFilterbank } from '../audio/mel.ts';
import type { MelSpectrogramOptions } from '../audio/melspec.ts';
import { centerPadWindow, hannWindow, kaldiWindow } from '../audio/window.ts';

/**
 * The log-mel frontend as ONNX nodes, so that a deployed model takes a waveform: framing (a Gather of
 * frame indices), per-frame DC removal and preemphasis (Kaldi), window, a DFT written as one MatMul with
 * a [frame, 2 * bins] cos|sin matrix (a zero-padded DFT of the padded length), |X|^2, the mel matrix, log.
 * For the power spectrum the squared cos and sin parts go through one MatMul with the mel matrix stacked
 * twice: (re^2 + im^2) M = [re^2 im^2] [M; M].
 * Every utterance of a padded batch is framed as if alone (its own length decides its frame count and,
 * for centred STFT frames, where the reflection happens), so batched and single results agree.
 */

/**
 * The Kaldi fbank options (src/audio/kaldi-options.ts) the graph implements: no dither, snip-edges
 * framing, no energy, no mean subtraction; the window one of the four below.
 */
export type KaldiFbankFrontend = { kind: 'kaldi-fbank'; windowType: 'povey' | 'hann' | 'hamming' | 'rectangular' } & Pick<
  KaldiFbankOptions,
  'sampleFrequency' | 'frameLength' | 'frameShift' | 'preemphasisCoefficient' | 'removeDcOffset' | 'roundToPowerOfTwo' | 'numMelBins' | 'lowFreq' | 'highFreq' | 'usePower' | 'useLogFbank'
>;

/** The torchaudio MelSpectrogram options (src/audio/melspec.ts) the graph implements: HTK scale, no norm. */
export type MelSpectrogramFrontend = { kind: 'melspec' } & Pick<
  MelSpectrogramOptions,
  'sampleRate' | 'nFft' | 'winLength' | 'hopLength' | 'fMin' | 'fMax' | 'nMels' | 'power' | 'center' | 'log' | 'logOffset'
>;

export type FrontendConfig = KaldiFbankFrontend | MelSpectrogramFrontend;

/**
 * Arithmetic of the frame-to-mel part. `float64` matches a double-precision reference (the TypeScript
 * frontend) to about 1e-6 in the log domain even in bins 100 dB below the frame's peak; `float32` is what
 * TensorRT and most accelerators run, and differs by up to ~5e-3 in such bins (float32 DFT rounding).
 */
export type FrontendPrecision = 'float32' | 'float64';

/** torchaudio's kaldi.fbank defaults with 80 bins (the fairseq/HuBERT filterbank setting). */
export const KALDI_FBANK80: KaldiFbankFrontend = {
  kind: 'kaldi-fbank',
  sampleFrequency: 16000,
  frameLength: 25,
  frameShift: 10,
  preemphasisCoefficient: 0.97,
  removeDcOffset: true,
  windowType: 'povey',
  roundToPowerOfTwo: true,
  numMelBins: 80,
  lowFreq: 20,
  highFreq: 0,
  usePower: true,
  useLogFbank: true,
};

/** torchaudio MelSpectrogram(n_fft 400, hop 160, n_mels 80) at 16 kHz. */
export const MELSPEC80: MelSpectrogramFrontend = {
  kind: 'melspec',
  sampleRate: 16000,
  nFft: 400,
  winLength: 0,
  hopLength: 160,
  fMin: 0,
  fMax: 0,
  nMels: 80,
  power: 2,
  center: true,
  log: false,
  logOffset: 1e-6,
};

/** float32 epsilon, the floor Kaldi's log applies (torch.finfo(torch.float).eps). */
export const KALDI_LOG_FLOOR = 1.1920928955078125e-7;

export interface FrontendGeometry {
  /** Samples per frame before padding. */
  frameLength: number;
  hop: number;
  /** DFT length. */
  dftLength: number;
  /** Samples of reflection padding on each side (centred STFT), else 0. */
  centerPad: number;
  /** Output feature dimension. */
  dims: number;
  sampleRate: number;
}

export function frontendGeometry(cfg: FrontendConfig): FrontendGeometry {
  if (cfg.kind === 'kaldi-fbank') {
    const frameLength = Math.trunc(cfg.sampleFrequency * cfg.frameLength * 0.001);
    const hop = Math.trunc(cfg.sampleFrequency * cfg.frameShift * 0.001);
    let dftLength = frameLength;
    if (cfg.roundToPowerOfTwo) for (dftLength = 1; dftLength < frameLength; dftLength <<= 1);
    return { frameLength, hop, dftLength, centerPad: 0, dims: cfg.numMelBins, sampleRate: cfg.sampleFrequency };
  }
  return { frameLength: cfg.nFft, hop: cfg.hopLength, dftLength: cfg.nFft, centerPad: cfg.center ? cfg.nFft >> 1 : 0, dims: cfg.nMels, sampleRate: cfg.sampleRate };
}

/** Frames produced for `n` samples (what the graph computes per utterance). */
export function frontendFrameCount(cfg: FrontendConfig, n: number): number {
  const { frameLength, hop, centerPad } = frontendGeometry(cfg);
  return Math.floor(Math.max(n + 2 * centerPad - frameLength + hop, 0) / hop);
}

/** Fewest samples an utterance needs (one full frame; a centred STFT also needs more samples than its reflection). */
export function frontendMinSamples(cfg: FrontendConfig): number {
  const { frameLength, centerPad } = frontendGeometry(cfg);
  return centerPad > 0 ? centerPad + 1 : frameLength;
}

/** The same windows and filterbanks the TypeScript features use (src/audio/window.ts, mel.ts). */
function windowOf(cfg: FrontendConfig, geom: FrontendGeometry): Float64Array {
  if (cfg.kind === 'kaldi-fbank') return kaldiWindow(cfg.windowType, geom.frameLength);
  return centerPadWindow(hannWindow(cfg.winLength || cfg.nFft, true), cfg.nFft);
}

function filterbankOf(cfg: FrontendConfig, geom: FrontendGeometry): MelFilterbank {
  if (cfg.kind === 'kaldi-fbank') return kaldiMelBanks(cfg.numMelBins, geom.dftLength, cfg.sampleFrequency, cfg.lowFreq, cfg.highFreq);
  return melscaleFbanks((cfg.nFft >> 1) + 1, cfg.fMin, cfg.fMax || cfg.sampleRate / 2, cfg.nMels, cfg.sampleRate);
}

/** [frameLength, 2 * bins]: cos(2 pi k n / N) in the first `bins` columns, -sin in the rest. */
export function dftMatrix(frameLength: number, dftLength: number): Float64Array {
  const bins = (dftLength >> 1) + 1;
  const m = new Float64Array(frameLength * 2 * bins);
  for (let n = 0; n < frameLength; n++) {
    for (let k = 0; k < bins; k++) {
      const angle = (2 * Math.PI * ((k * n) % dftLength)) / dftLength;
      m[n * 2 * bins + k] = Math.cos(angle);
      m[n * 2 * bins + bins + k] = -Math.sin(angle);
    }
  }
  return m;
}

/** The filterbank transposed to [bins, mels], stacked `copies` times along the rows. */
function melMatrix(fb: MelFilterbank, copies: number): Float64Array {
  const out = new Float64Array(copies * fb.numFreqs * fb.numBins);
  for (let c = 0; c < copies; c++) {
    for (let k = 0; k < fb.numFreqs; k++) {
      for (let b = 0; b < fb.numBins; b++) out[(c * fb.numFreqs + k) * fb.numBins + b] = fb.weights[b * fb.numFreqs + k];
    }
  }
  return out;
}

/** int64 scalar arithmetic helpers on [1]-shaped values. */
function frameCountValue(g: GraphBuilder, samples: string, geom: FrontendGeometry): string {
  const extra = 2 * geom.centerPad - geom.frameLength + geom.hop;
  return g.div(g.max(g.add(samples, g.ints([extra])), g.ints([0])), g.ints([geom.hop]));
}

export interface FrontendNodes {
  /** [B, F, dims] features. */
  features: string;
  /** [B] int64 frames per utterance. */
  frameLengths: string;
}

/**
 * Emits the frontend for `waveform` [B, S] float with `lengths` [B] int64 (samples per utterance;
 * the rest of each row is padding).
 */
export function frontendGraph(g: GraphBuilder, waveform: string, lengths: string, cfg: FrontendConfig, precision: FrontendPrecision = 'float64'): FrontendNodes {
  const f64 = precision === 'float64';
  const weights = (name: string, values: ArrayLike<number>, dims: number[]) =>
    f64 ? g.initializer(name, Float64Array.from(values), dims) : g.initializer(name, Float32Array.from(values), dims);
  const scalar = (v: number) => (f64 ? g.initializer('frontend.const', Float64Array.of(v), []) : g.floats([v]));
  const geom = frontendGeometry(cfg);
  const L = geom.frameLength;
  const totalSamples = g.shape(waveform, 1, 2);
  const numFrames = g.squeeze(frameCountValue(g, totalSamples, geom), [0]);
  const starts = g.mul(g.range(g.ints([0], []), numFrames, g.ints([1], [])), g.ints([geom.hop], [])); // [F]
  let index = g.add(g.unsqueeze(starts, [1]), g.ints(Array.from({ length: L }, (_, n) => n - geom.centerPad), [1, L])); // [F, L]
  let frames: string;
  if (geom.centerPad === 0) {
    frames = g.gather(waveform, index, 1); // [B, F, L]
  } else {
    // Reflect at each utterance's own edges (torch.stft's reflect padding: x[-1] = x[1], x[n] = x[n-2]).
    const len = g.unsqueeze(lengths, [1]); // [B, 1]
    const flat = g.unsqueeze(g.reshape(index, [-1]), [0]); // [1, F*L]
    const left = g.abs(flat);
    const right = g.sub(g.mul(g.sub(len, g.ints([1], [])), g.ints([2], [])), left);
    const reflected = g.where(g.less(left, len), left, right); // [B, F*L]
    const last = g.sub(g.shape(waveform, 1, 2), g.ints([1]));
    index = g.min(g.max(reflected, g.ints([0], [])), g.unsqueeze(last, [0]));
    frames = g.reshape(g.op('GatherElements', [waveform, index], { axis: 1 }), g.concat([g.shape(waveform, 0, 1), g.ints([-1, L])], 0));
  }
  if (f64) frames = g.cast(frames, DataType.DOUBLE);
  if (cfg.kind === 'kaldi-fbank') {
    if (cfg.removeDcOffset) frames = g.sub(frames, g.reduceMean(frames, [2]));
    if (cfg.preemphasisCoefficient !== 0) {
      const previous = g.concat([g.slice(frames, [0], [1], [2]), g.slice(frames, [0], [L - 1], [2])], 2);
      frames = g.sub(frames, g.mul(previous, scalar(cfg.preemphasisCoefficient)));
    }
  }
  frames = g.mul(frames, weights('frontend.window', windowOf(cfg, geom), [L]));
  const bins = (geom.dftLength >> 1) + 1;
  const spectrum = g.matMul(frames, weights('frontend.dft', dftMatrix(L, geom.dftLength), [L, 2 * bins])); // [B, F, 2*bins]
  const fb = filterbankOf(cfg, geom);
  const power = cfg.kind === 'kaldi-fbank' ? (cfg.usePower ? 2 : 1) : cfg.power;
  let mel: string;
  if (power === 2) {
    mel = g.matMul(g.mul(spectrum, spectrum), weights('frontend.mel', melMatrix(fb, 2), [2 * bins, fb.numBins]));
  } else {
    const re = g.slice(spectrum, [0], [bins], [2]);
    const im = g.slice(spectrum, [bins], [2 * bins], [2]);
    let mag = g.sqrt(g.add(g.mul(re, re), g.mul(im, im)));
    if (power !== 1) mag = g.pow(mag, scalar(power));
    mel = g.matMul(mag, weights('frontend.mel', melMatrix(fb, 1), [bins, fb.numBins]));
  }
  if (cfg.kind === 'kaldi-fbank' && cfg.useLogFbank) mel = g.log(g.max(mel, scalar(KALDI_LOG_FLOOR)));
  if (cfg.kind === 'melspec' && cfg.log) mel = g.log(g.add(mel, scalar(cfg.logOffset)));
  if (f64) mel = g.cast(mel, DataType.FLOAT);
  return { features: mel, frameLengths: frameCountValue(g, lengths, geom) };
}
