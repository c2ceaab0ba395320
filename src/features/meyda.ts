/**
 * Meyda's per-frame descriptors as a featurizer: `--features meyda:rms,zcr,spectralCentroid,chroma`.
 * Frames of --buffer-size samples (a power of two, as Meyda requires) every --hop-length samples, whole
 * frames only; Meyda applies its own window. Scalar descriptors give one column, vector ones (chroma, mfcc,
 * melBands, loudness's specific bands then its total, the spectra) one column per value, in the order named.
 */
import type { MeydaAudioFeature, MeydaFeaturesObject } from 'meyda';
import type { CommonFeatureOptions, Featurizer, FeaturizerKind, FeaturizeContext } from './featurizer.ts';
import { RowAccumulator, ShortInputError, runStream, type FeatureMatrix, type FeatureStream } from '../audio/feature-matrix.ts';
import { resolveOptions, specsFromDefaults, type OptionValues } from './feature-options.ts';
import { StreamingFramer, kaldiFraming } from '../audio/framing.ts';

/** Descriptors that give numbers per frame. (spectralFlux throws in Meyda 5.6; buffer and complexSpectrum are not descriptors.) */
export const MEYDA_DESCRIPTORS = [
  'rms', 'zcr', 'energy', 'spectralCentroid', 'spectralFlatness', 'spectralRolloff', 'spectralSpread', 'spectralSkewness',
  'spectralKurtosis', 'spectralSlope', 'spectralCrest', 'perceptualSharpness', 'perceptualSpread', 'loudness', 'chroma',
  'mfcc', 'melBands', 'amplitudeSpectrum', 'powerSpectrum',
] as const;
type Descriptor = (typeof MEYDA_DESCRIPTORS)[number];

export interface MeydaOptions {
  sampleRate: number;
  bufferSize: number;
  hopLength: number;
  windowingFunction: 'hanning' | 'hamming' | 'blackman' | 'sine' | 'rect';
  melBands: number;
  numberOfMfccCoefficients: number;
  chromaBands: number;
}

export const MEYDA_DEFAULTS: MeydaOptions = {
  sampleRate: 16000,
  bufferSize: 512,
  hopLength: 160,
  windowingFunction: 'hanning',
  melBands: 26,
  numberOfMfccCoefficients: 13,
  chromaBands: 12,
};

/** The mutable module-level settings Meyda reads (its API is a configured singleton). */
interface MeydaSettings {
  bufferSize: number;
  sampleRate: number;
  melBands: number;
  chromaBands: number;
  numberOfMFCCCoefficients: number;
  windowingFunction: string;
  extract(features: MeydaAudioFeature[], signal: Float32Array): Partial<MeydaFeaturesObject> | null;
}
let meydaModule: MeydaSettings | null = null;

/** Loads Meyda on first use (only runs that ask for its descriptors pay for the import). */
async function loadMeyda(): Promise<MeydaSettings> {
  if (!meydaModule) meydaModule = (await import('meyda')).default as unknown as MeydaSettings;
  return meydaModule;
}

function flatten(name: Descriptor, value: unknown): number[] {
  if (typeof value === 'number') return [value];
  if (value && typeof value === 'object' && 'specific' in value && 'total' in value) {
    const v = value as { specific: ArrayLike<number>; total: number };
    return [...Array.from(v.specific), v.total];
  }
  if (value && typeof value === 'object' && 'length' in value) return Array.from(value as ArrayLike<number>);
  throw new Error(`Meyda descriptor ${name} gave a non-numeric value`);
}

/** Runs Meyda on one frame with `o`'s settings; the descriptors' values, flattened. */
function meydaFrame(meyda: MeydaSettings, frame: Float32Array, names: readonly Descriptor[], o: MeydaOptions): number[] {
  meyda.bufferSize = o.bufferSize;
  meyda.sampleRate = o.sampleRate;
  meyda.melBands = o.melBands;
  meyda.chromaBands = o.chromaBands;
  meyda.numberOfMFCCCoefficients = o.numberOfMfccCoefficients;
  meyda.windowingFunction = o.windowingFunction;
  const r = meyda.extract(names as unknown as MeydaAudioFeature[], frame) ?? {};
  const values: number[] = [];
  for (const n of names) values.push(...flatten(n, (r as Record<string, unknown>)[n]));
  return values;
}

function parseNames(spec: string): Descriptor[] {
  const list = spec.slice('meyda:'.length).split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw new RangeError(`--features: name Meyda descriptors after "meyda:", e.g. meyda:rms,zcr (available: ${MEYDA_DESCRIPTORS.join(', ')})`);
  for (const n of list) {
    if (!(MEYDA_DESCRIPTORS as readonly string[]).includes(n)) throw new RangeError(`--features: unknown Meyda descriptor "${n}" (available: ${MEYDA_DESCRIPTORS.join(', ')})`);
  }
  return list as Descriptor[];
}

class MeydaStream implements FeatureStream {
  private readonly framer: StreamingFramer;
  private readonly frame: Float64Array;
  private readonly frame32: Float32Array;
  private readonly rows: RowAccumulator;

  constructor(private readonly meyda: MeydaSettings, private readonly names: Descriptor[], private readonly o: MeydaOptions, readonly dims: number, private readonly allowShort: boolean, expected = 0) {
    this.framer = new StreamingFramer(kaldiFraming(o.bufferSize, o.hopLength, true));
    this.frame = new Float64Array(o.bufferSize);
    this.frame32 = new Float32Array(o.bufferSize);
    this.rows = new RowAccumulator(dims, this.framer.spec.frameCount(expected) || 64);
  }

  push(chunk: Float32Array): void {
    this.framer.push(chunk);
    this.drain();
  }

  private drain(): void {
    while (this.framer.next(this.frame)) {
      this.frame32.set(this.frame);
      const values = meydaFrame(this.meyda, this.frame32, this.names, this.o);
      const off = this.rows.nextRow();
      for (let d = 0; d < this.dims; d++) this.rows.buffer[off + d] = values[d];
    }
  }

  finish(): FeatureMatrix {
    const n = this.framer.length;
    if (n < this.o.bufferSize) {
      if (this.allowShort) return { data: new Float32Array(0), frames: 0, dims: this.dims };
      throw new ShortInputError(n, this.o.bufferSize, `Meyda buffer`);
    }
    this.framer.end();
    this.drain();
    return this.rows.toMatrix();
  }
}

export const meydaKind: FeaturizerKind = {
  name: 'meyda:<names>',
  summary: `Meyda per-frame descriptors, comma-separated: ${MEYDA_DESCRIPTORS.join(', ')}`,
  matches: (s) => s.startsWith('meyda:'),
  options: specsFromDefaults(
    MEYDA_DEFAULTS,
    {
      sampleRate: 'rate the audio is resampled to, Hz',
      bufferSize: 'frame length (a power of two)',
      hopLength: 'hop between frames, samples',
      windowingFunction: 'window Meyda applies',
      melBands: 'Meyda mel bands (melBands, mfcc)',
      numberOfMfccCoefficients: 'Meyda MFCC coefficients',
      chromaBands: 'chroma bands',
    },
    {
      choices: { windowingFunction: ['hanning', 'hamming', 'blackman', 'sine', 'rect'] },
      flags: { sampleRate: 'sample-frequency', windowingFunction: 'meyda-window', numberOfMfccCoefficients: 'meyda-mfcc-coefficients', melBands: 'meyda-mel-bands' },
      ints: ['bufferSize', 'hopLength', 'melBands', 'numberOfMfccCoefficients', 'chromaBands'],
    },
  ),
  async create(spec: string, values: OptionValues, common: CommonFeatureOptions): Promise<Featurizer> {
    const names = parseNames(spec);
    const o = resolveOptions(MEYDA_DEFAULTS, values);
    if (!Number.isInteger(o.bufferSize) || o.bufferSize < 4 || (o.bufferSize & (o.bufferSize - 1)) !== 0) throw new RangeError(`--buffer-size: Meyda needs a power of two, got ${o.bufferSize}`);
    if (!Number.isInteger(o.hopLength) || o.hopLength < 1) throw new RangeError(`--hop-length: must be a positive integer, got ${o.hopLength}`);
    if (!(o.sampleRate > 0)) throw new RangeError(`--sample-frequency: must be positive, got ${o.sampleRate}`);
    // Probe the column count on a fixed frame.
    const probe = new Float32Array(o.bufferSize).map((_, i) => Math.sin(i * 0.3) * 0.5);
    const meyda = await loadMeyda();
    const dims = meydaFrame(meyda, probe, names, o).length;
    const stream = (ctx: FeaturizeContext = {}) => new MeydaStream(meyda, names, o, dims, common.allowShort, ctx.expectedSamples);
    return {
      kind: 'meyda',
      sampleRate: o.sampleRate,
      dims,
      config: { kind: 'meyda', descriptors: names, ...o },
      compute: (waveform, ctx = {}) => runStream(stream({ ...ctx, expectedSamples: waveform.length }), waveform),
      stream,
    };
  },
};
