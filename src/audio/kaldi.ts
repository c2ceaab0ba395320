/**
 * Kaldi-compatible filterbank and MFCC features, matching torchaudio.compliance.kaldi.fbank / .mfcc:
 * framing (snip-edges or reflected edges), optional seeded dither, DC removal, raw or windowed log energy,
 * preemphasis, window, zero padding to a power of two, power (or magnitude) spectrum, Kaldi mel banks, log,
 * and for MFCC an orthonormal DCT-II with Kaldi's c0 scale and the cepstral lifter.
 * All per-frame work runs on preallocated buffers.
 */
import { Rng } from '../util/rng.ts';
import { RealFft } from './fft.ts';
import { StreamingFramer, kaldiFraming } from './framing.ts';
import { applySparseFilterbank, kaldiMelBanks, sparseFilterbank, type SparseFilterbank } from './mel.ts';
import { kaldiWindow } from './window.ts';
import { RowAccumulator, ShortInputError, type FeatureMatrix, type FeatureStream } from './feature-matrix.ts';
import {
  KALDI_FBANK_DEFAULTS,
  KALDI_MFCC_DEFAULTS,
  frameGeometry,
  validateKaldiOptions,
  type FrameGeometry,
  type KaldiFbankOptions,
  type KaldiMfccOptions,
} from './kaldi-options.ts';
import { subtractColumnMean } from './cmvn.ts';

/** torch.finfo(torch.float32).eps, Kaldi's floor inside logs. */
export const KALDI_EPSILON = 1.1920928955078125e-7;

/** The DCT Kaldi's MFCC uses: orthonormal DCT-II rows k < numCeps, row 0 scaled by sqrt(1/numMelBins). */
export function kaldiDctMatrix(numCeps: number, numMelBins: number): Float64Array {
  const m = new Float64Array(numCeps * numMelBins);
  for (let k = 0; k < numCeps; k++) {
    for (let n = 0; n < numMelBins; n++) {
      m[k * numMelBins + n] = k === 0 ? Math.sqrt(1 / numMelBins) : Math.sqrt(2 / numMelBins) * Math.cos((Math.PI / numMelBins) * (n + 0.5) * k);
    }
  }
  return m;
}

/** Kaldi's cepstral lifter 1 + L/2 sin(pi i / L). */
export function kaldiLifter(numCeps: number, lifter: number): Float64Array {
  const c = new Float64Array(numCeps);
  for (let i = 0; i < numCeps; i++) c[i] = lifter === 0 ? 1 : 1 + 0.5 * lifter * Math.sin((Math.PI * i) / lifter);
  return c;
}

type Kind = 'fbank' | 'mfcc';

/** Turns one frame of samples into one row of fbank or MFCC features. */
export class KaldiFrameProcessor {
  readonly geometry: FrameGeometry;
  readonly dims: number;
  private readonly window: Float64Array;
  private readonly fft: RealFft;
  private readonly banks: SparseFilterbank;
  private readonly padded: Float64Array;
  private readonly dithered: Float32Array;
  private readonly spectrum: Float64Array;
  private readonly mel: Float64Array;
  private readonly dct: Float64Array | null;
  private readonly lifter: Float64Array | null;
  private readonly logEnergyFloor: number;

  constructor(readonly kind: Kind, readonly options: KaldiFbankOptions | KaldiMfccOptions) {
    validateKaldiOptions(options);
    const o = options;
    this.geometry = frameGeometry(o);
    const { windowSize, paddedWindowSize } = this.geometry;
    this.window = kaldiWindow(o.windowType, windowSize, o.blackmanCoeff);
    this.fft = new RealFft(paddedWindowSize);
    this.banks = sparseFilterbank(kaldiMelBanks(o.numMelBins, paddedWindowSize, o.sampleFrequency, o.lowFreq, o.highFreq, { factor: o.vtlnWarp, low: o.vtlnLow, high: o.vtlnHigh }));
    this.padded = new Float64Array(paddedWindowSize);
    this.dithered = new Float32Array(windowSize);
    this.spectrum = new Float64Array(this.fft.bins);
    this.mel = new Float64Array(o.numMelBins);
    this.logEnergyFloor = o.energyFloor > 0 ? Math.log(o.energyFloor) : -Infinity;
    if (kind === 'mfcc') {
      const m = o as KaldiMfccOptions;
      this.dct = kaldiDctMatrix(m.numCeps, m.numMelBins);
      this.lifter = kaldiLifter(m.numCeps, m.cepstralLifter);
      this.dims = m.numCeps;
    } else {
      this.dct = null;
      this.lifter = null;
      this.dims = o.numMelBins + (o.useEnergy ? 1 : 0);
    }
  }

  private logOfEnergy(e: number): number {
    const le = Math.log(Math.max(e, KALDI_EPSILON));
    return le > this.logEnergyFloor ? le : this.logEnergyFloor;
  }

  /**
   * Turns the frame src[srcOffset .. srcOffset + windowSize) into out[offset .. offset + dims).
   * `src` is not modified.
   */
  process(src: Float32Array, srcOffset: number, out: Float32Array, offset: number, rng: Rng | null): void {
    const o = this.options;
    const n = this.geometry.windowSize;
    const x = this.padded;
    if (rng && o.dither !== 0) {
      const d = this.dithered;
      for (let j = 0; j < n; j++) d[j] = src[srcOffset + j] + rng.normal() * o.dither;
      src = d;
      srcOffset = 0;
    }
    let mean = 0;
    if (o.removeDcOffset) {
      for (let j = 0; j < n; j++) mean += src[srcOffset + j];
      mean /= n;
    }
    // One backward pass: DC removal, raw energy, preemphasis (x[j] - c x[j-1], x[-1] = x[0]), window.
    const c = o.preemphasisCoefficient;
    const w = this.window;
    let energy = 0;
    let next = src[srcOffset + n - 1] - mean;
    for (let j = n - 1; j > 0; j--) {
      const cur = next;
      next = src[srcOffset + j - 1] - mean;
      energy += cur * cur;
      x[j] = (cur - c * next) * w[j];
    }
    energy += next * next;
    x[0] = (next - c * next) * w[0];
    let logE = 0;
    if (o.rawEnergy) logE = this.logOfEnergy(energy);
    else {
      let e = 0;
      for (let j = 0; j < n; j++) e += x[j] * x[j];
      logE = this.logOfEnergy(e);
    }
    const spec = this.spectrum;
    this.fft.powerSpectrum(x, spec);
    if (!o.usePower) for (let k = 0; k < spec.length; k++) spec[k] = Math.sqrt(spec[k]);
    const mel = this.mel;
    applySparseFilterbank(this.banks, spec, mel);
    const nb = mel.length;
    if (o.useLogFbank || this.kind === 'mfcc') for (let b = 0; b < nb; b++) mel[b] = Math.log(Math.max(mel[b], KALDI_EPSILON));
    if (this.kind === 'fbank') {
      let p = offset;
      if (o.useEnergy && !o.htkCompat) out[p++] = logE;
      for (let b = 0; b < nb; b++) out[p++] = mel[b];
      if (o.useEnergy && o.htkCompat) out[p++] = logE;
      return;
    }
    const dct = this.dct!;
    const lift = this.lifter!;
    const numCeps = this.dims;
    const ceps = spec; // reuse: numCeps <= numMelBins < bins
    for (let k = 0; k < numCeps; k++) {
      let s = 0;
      const row = k * nb;
      for (let b = 0; b < nb; b++) s += dct[row + b] * mel[b];
      ceps[k] = s * lift[k];
    }
    if (o.useEnergy) ceps[0] = logE;
    if (o.htkCompat) {
      const c0 = o.useEnergy ? ceps[0] : ceps[0] * Math.SQRT2;
      for (let k = 1; k < numCeps; k++) out[offset + k - 1] = ceps[k];
      out[offset + numCeps - 1] = c0;
    } else {
      for (let k = 0; k < numCeps; k++) out[offset + k] = ceps[k];
    }
  }
}

export interface KaldiStreamOptions {
  /** Expected number of samples (sizes the output once). */
  expectedSamples?: number;
  /** Seed for the dither noise (only used when dither > 0). */
  seed?: number;
  /** Zero frames instead of an error for input shorter than one frame. */
  allowShort?: boolean;
}

/** Streaming Kaldi features: chunks in, [frames, dims] out. */
export class KaldiFeatureStream implements FeatureStream {
  private readonly framer: StreamingFramer;
  private readonly rows: RowAccumulator;
  private readonly rng: Rng | null;

  constructor(private readonly proc: KaldiFrameProcessor, private readonly opts: KaldiStreamOptions = {}) {
    const g = proc.geometry;
    this.framer = new StreamingFramer(kaldiFraming(g.windowSize, g.windowShift, proc.options.snipEdges));
    const expected = opts.expectedSamples ?? 0;
    this.rows = new RowAccumulator(proc.dims, this.framer.spec.frameCount(expected) || 64);
    this.rng = proc.options.dither !== 0 ? new Rng(opts.seed ?? 0) : null;
  }

  push(chunk: Float32Array): void {
    this.framer.push(chunk);
    this.drain();
  }

  private drain(): void {
    const framer = this.framer;
    for (let at = framer.nextOffset(); at >= 0; at = framer.nextOffset()) {
      const off = this.rows.nextRow();
      this.proc.process(framer.frameArray, at, this.rows.buffer, off, this.rng);
    }
  }

  finish(): FeatureMatrix {
    const n = this.framer.length;
    const g = this.proc.geometry;
    const o = this.proc.options;
    if (n < g.windowSize) {
      if (this.opts.allowShort) return { data: new Float32Array(0), frames: 0, dims: this.proc.dims };
      throw new ShortInputError(n, g.windowSize, `${o.frameLength} ms frame at ${o.sampleFrequency} Hz`);
    }
    if (n < o.minDuration * o.sampleFrequency) return { data: new Float32Array(0), frames: 0, dims: this.proc.dims };
    this.framer.end();
    this.drain();
    const m = this.rows.toMatrix();
    if (o.subtractMean) subtractColumnMean(m);
    return m;
  }
}

/** Kaldi fbank of a whole waveform (torchaudio.compliance.kaldi.fbank); output [frames, numMelBins (+1)]. */
export function kaldiFbank(waveform: Float32Array, options: Partial<KaldiFbankOptions> = {}, stream: KaldiStreamOptions = {}): FeatureMatrix {
  const proc = new KaldiFrameProcessor('fbank', { ...KALDI_FBANK_DEFAULTS, ...options });
  const s = new KaldiFeatureStream(proc, { expectedSamples: waveform.length, ...stream });
  s.push(waveform);
  return s.finish();
}

/** Kaldi MFCC of a whole waveform (torchaudio.compliance.kaldi.mfcc); output [frames, numCeps]. */
export function kaldiMfcc(waveform: Float32Array, options: Partial<KaldiMfccOptions> = {}, stream: KaldiStreamOptions = {}): FeatureMatrix {
  const proc = new KaldiFrameProcessor('mfcc', { ...KALDI_MFCC_DEFAULTS, ...options });
  const s = new KaldiFeatureStream(proc, { expectedSamples: waveform.length, ...stream });
  s.push(waveform);
  return s.finish();
}
