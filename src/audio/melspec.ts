/**
 * Mel spectrogram compatible with torchaudio.transforms.MelSpectrogram: a periodic Hann window of
 * win_length centred in n_fft, frames every hop_length samples (center=True reflect-pads n_fft/2 on both
 * sides, as torch.stft does), |STFT|^power, then torchaudio's mel filterbank (HTK or Slaney scale,
 * optional Slaney norm). Optionally the natural log of (mel + logOffset).
 */
import { RealFft } from './fft.ts';
import { StreamingFramer, stftFraming } from './framing.ts';
import { applySparseFilterbank, melscaleFbanks, sparseFilterbank, type MelScale, type SparseFilterbank } from './mel.ts';
import { centerPadWindow, hannWindow } from './window.ts';
import { RowAccumulator, ShortInputError, type FeatureMatrix, type FeatureStream } from './feature-matrix.ts';

export interface MelSpectrogramOptions {
  sampleRate: number;
  nFft: number;
  /** 0 = n_fft. */
  winLength: number;
  hopLength: number;
  fMin: number;
  /** 0 = sample_rate / 2. */
  fMax: number;
  nMels: number;
  /** 1 = magnitude, 2 = power. */
  power: number;
  center: boolean;
  norm: 'none' | 'slaney';
  melScale: MelScale;
  /** Output log(mel + logOffset) instead of mel. */
  log: boolean;
  logOffset: number;
}

/** torchaudio's defaults except n_mels 80 and hop 160 (10 ms at 16 kHz), the speech setting. */
export const MELSPEC_DEFAULTS: MelSpectrogramOptions = {
  sampleRate: 16000,
  nFft: 400,
  winLength: 0,
  hopLength: 160,
  fMin: 0,
  fMax: 0,
  nMels: 80,
  power: 2,
  center: true,
  norm: 'none',
  melScale: 'htk',
  log: false,
  logOffset: 1e-6,
};

export function validateMelSpectrogramOptions(o: MelSpectrogramOptions): void {
  const bad = (flag: string, msg: string): never => {
    throw new RangeError(`--${flag}: ${msg}`);
  };
  if (!(o.sampleRate > 0)) bad('sample-frequency', `must be positive, got ${o.sampleRate}`);
  if (!Number.isInteger(o.nFft) || o.nFft < 4 || o.nFft % 2 !== 0) bad('n-fft', `must be an even integer >= 4, got ${o.nFft}`);
  const win = o.winLength || o.nFft;
  if (!Number.isInteger(win) || win < 1 || win > o.nFft) bad('win-length', `must be an integer in [1, n-fft], got ${o.winLength}`);
  if (!Number.isInteger(o.hopLength) || o.hopLength < 1) bad('hop-length', `must be a positive integer, got ${o.hopLength}`);
  if (!Number.isInteger(o.nMels) || o.nMels < 1) bad('n-mels', `must be a positive integer, got ${o.nMels}`);
  const fMax = o.fMax || o.sampleRate / 2;
  if (!(o.fMin >= 0 && o.fMin < fMax && fMax <= o.sampleRate / 2)) bad('f-min', `need 0 <= f-min < f-max <= ${o.sampleRate / 2}, got ${o.fMin}..${fMax}`);
  if (!(o.power > 0)) bad('power', `must be positive, got ${o.power}`);
  if (!(o.logOffset >= 0)) bad('log-offset', `must be >= 0, got ${o.logOffset}`);
}

export class MelSpectrogramProcessor {
  readonly dims: number;
  private readonly fft: RealFft;
  private readonly window: Float64Array;
  private readonly banks: SparseFilterbank;
  private readonly buf: Float64Array;
  private readonly spectrum: Float64Array;
  private readonly mel: Float64Array;

  constructor(readonly options: MelSpectrogramOptions) {
    validateMelSpectrogramOptions(options);
    const o = options;
    this.fft = new RealFft(o.nFft);
    this.window = centerPadWindow(hannWindow(o.winLength || o.nFft, true), o.nFft);
    this.banks = sparseFilterbank(melscaleFbanks(this.fft.bins, o.fMin, o.fMax || o.sampleRate / 2, o.nMels, o.sampleRate, o.norm === 'slaney' ? 'slaney' : null, o.melScale));
    this.buf = new Float64Array(o.nFft);
    this.spectrum = new Float64Array(this.fft.bins);
    this.mel = new Float64Array(o.nMels);
    this.dims = o.nMels;
  }

  process(frame: Float64Array, out: Float32Array, offset: number): void {
    const o = this.options;
    const x = this.buf;
    const w = this.window;
    for (let j = 0; j < x.length; j++) x[j] = frame[j] * w[j];
    const spec = this.spectrum;
    this.fft.powerSpectrum(x, spec);
    if (o.power !== 2) {
      const e = o.power / 2;
      for (let k = 0; k < spec.length; k++) spec[k] = Math.pow(spec[k], e);
    }
    applySparseFilterbank(this.banks, spec, this.mel);
    for (let b = 0; b < this.dims; b++) out[offset + b] = o.log ? Math.log(this.mel[b] + o.logOffset) : this.mel[b];
  }
}

export interface MelStreamOptions {
  expectedSamples?: number;
  /** Zero frames instead of an error for input too short to frame. */
  allowShort?: boolean;
}

export class MelSpectrogramStream implements FeatureStream {
  private readonly framer: StreamingFramer;
  private readonly frame: Float64Array;
  private readonly rows: RowAccumulator;

  constructor(private readonly proc: MelSpectrogramProcessor, private readonly opts: MelStreamOptions = {}) {
    const o = proc.options;
    this.framer = new StreamingFramer(stftFraming(o.nFft, o.hopLength, o.center));
    this.frame = new Float64Array(o.nFft);
    this.rows = new RowAccumulator(proc.dims, this.framer.spec.frameCount(opts.expectedSamples ?? 0) || 64);
  }

  push(chunk: Float32Array): void {
    this.framer.push(chunk);
    this.drain();
  }

  private drain(): void {
    while (this.framer.next(this.frame)) this.proc.process(this.frame, this.rows.buffer, this.rows.nextRow());
  }

  finish(): FeatureMatrix {
    const o = this.proc.options;
    const n = this.framer.length;
    // torch.stft's reflect padding needs more samples than the pad; without center, one whole frame.
    const needed = o.center ? Math.floor(o.nFft / 2) + 1 : o.nFft;
    if (n < needed) {
      if (this.opts.allowShort) return { data: new Float32Array(0), frames: 0, dims: this.proc.dims };
      throw new ShortInputError(n, needed, o.center ? `reflect-padded STFT frame (n_fft ${o.nFft})` : `STFT frame (n_fft ${o.nFft})`);
    }
    this.framer.end();
    this.drain();
    return this.rows.toMatrix();
  }
}

/** Mel spectrogram of a whole waveform, [frames, nMels]. */
export function melSpectrogram(waveform: Float32Array, options: Partial<MelSpectrogramOptions> = {}, stream: MelStreamOptions = {}): FeatureMatrix {
  const proc = new MelSpectrogramProcessor({ ...MELSPEC_DEFAULTS, ...options });
  const s = new MelSpectrogramStream(proc, { expectedSamples: waveform.length, ...stream });
  s.push(waveform);
  return s.finish();
}
