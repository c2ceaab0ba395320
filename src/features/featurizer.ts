/**
 * The one seam between a corpus loop and a feature computation. A `Featurizer` turns a mono waveform at
 * its `sampleRate` into a [frames, dims] matrix, synchronously or not (a model's forward pass may be
 * async), and may offer a `stream` so long recordings never sit whole in memory. `createFeaturizer` picks
 * the kind from the `--features` string: add a kind (a trained checkpoint's layer, an ONNX file) by adding
 * an entry to FEATURIZER_KINDS; `extract` and every other caller stay as they are.
 */
import { InputError } from '../util/errors.ts';
import { appendDeltas } from '../audio/deltas.ts';
import { CMVN_MODES, utteranceCmvn, type CmvnMode } from '../audio/cmvn.ts';
import { speedPerturb } from '../audio/augment/speed-perturb.ts';
import type { FeatureMatrix, FeatureStream } from '../audio/feature-matrix.ts';
import { resolveOptions, specsFromDefaults, type OptionSpec, type OptionValues } from './feature-options.ts';
import { fbankKind, melspecKind, mfccKind } from './featurizers.ts';
import { meydaKind } from './meyda.ts';
import { checkpointKind, onnxKind } from './model-kinds.ts';

export type { FeatureMatrix, FeatureStream } from '../audio/feature-matrix.ts';
export { utteranceSeed } from './utterance-seed.ts';

/** Per-utterance context: a stable key (the input's relative path) seeds per-utterance randomness. */
export interface FeaturizeContext {
  key?: string;
  /** Samples the waveform will have, at the featurizer's rate, when known (sizes buffers once). */
  expectedSamples?: number;
}

export interface Featurizer {
  /** Kind name, e.g. `fbank`. */
  readonly kind: string;
  /** Rate the waveform must be at, Hz. */
  readonly sampleRate: number;
  /** Columns of the output. */
  readonly dims: number;
  /** The resolved configuration, JSON-serialisable (for sidecars and export metadata). */
  readonly config: Record<string, unknown>;
  compute(waveform: Float32Array, ctx?: FeaturizeContext): FeatureMatrix | Promise<FeatureMatrix>;
  /** Optional chunked form of `compute`, giving the same result. */
  stream?(ctx?: FeaturizeContext): FeatureStream;
  /**
   * Optional: many whole utterances at once (a model running padded batches), results in input order,
   * each equal to what `compute` gives for it alone. A corpus loop that uses it still writes and
   * resumes per file; when a batch throws, it computes that batch's utterances one by one.
   */
  computeBatch?(waveforms: Float32Array[], ctx: FeaturizeContext[]): Promise<FeatureMatrix[]>;
  /** Utterances per `computeBatch` call. */
  readonly batchSize?: number;
  dispose?(): void | Promise<void>;
}

export interface FeaturizerKind {
  name: string;
  /** One line for usage text. */
  summary: string;
  matches(spec: string): boolean;
  /** The flags this kind reads, besides COMMON_FEATURE_OPTIONS. */
  options: readonly OptionSpec[];
  create(spec: string, values: OptionValues, common: CommonFeatureOptions): Featurizer | Promise<Featurizer>;
}

/** Options every kind takes. */
export interface CommonFeatureOptions {
  /** Append deltas and delta-deltas (compute_deltas). */
  deltas: boolean;
  deltaWindow: number;
  /** Utterance-level CMVN, applied last. */
  cmvn: CmvnMode;
  /** Input shorter than one frame gives zero frames instead of an error. */
  allowShort: boolean;
  /** Seed for dither (mixed with each utterance's key). */
  seed: number;
  /** Speed perturbation factor applied to the waveform first (1 = none; Kaldi's copies: 0.9 and 1.1). */
  speed: number;
}

export const COMMON_FEATURE_DEFAULTS: CommonFeatureOptions = { deltas: false, deltaWindow: 5, cmvn: 'none', allowShort: false, seed: 0, speed: 1 };

export const COMMON_FEATURE_OPTIONS: readonly OptionSpec[] = specsFromDefaults(
  COMMON_FEATURE_DEFAULTS,
  {
    deltas: 'append deltas and delta-deltas (torchaudio compute_deltas): 13 MFCCs become 39',
    deltaWindow: 'window of compute_deltas',
    cmvn: 'utterance-level mean (and variance) normalisation, applied last',
    allowShort: 'input shorter than one frame gives [0, dims] instead of an error',
    seed: 'seed of the dither noise (mixed with each file\'s relative path)',
    speed: 'speed perturbation (Kaldi\'s sox speed, by resampling): 1.1 plays 1.1x faster, shorter by 1/1.1, frequencies x1.1',
  },
  { choices: { cmvn: CMVN_MODES }, ints: ['deltaWindow', 'seed'] },
);

/** Every kind `--features` can name; the first whose `matches` accepts the string wins. */
export const FEATURIZER_KINDS: readonly FeaturizerKind[] = [fbankKind, mfccKind, melspecKind, meydaKind, onnxKind, checkpointKind];

export function featurizerKind(spec: string): FeaturizerKind {
  const kind = FEATURIZER_KINDS.find((k) => k.matches(spec));
  if (!kind) throw new InputError(`unknown feature kind "${spec}" (expected ${FEATURIZER_KINDS.map((k) => k.name).join(', ')})`, { field: '--features' });
  return kind;
}

function postprocess(m: FeatureMatrix, c: CommonFeatureOptions): FeatureMatrix {
  const out = c.deltas ? appendDeltas(m, 2, c.deltaWindow) : m;
  return utteranceCmvn(out, c.cmvn);
}

/** Speed perturbation before the features: the whole waveform at once (no stream), at the featurizer's rate. */
function withSpeed(inner: Featurizer, speed: number): Featurizer {
  if (speed === 1) return inner;
  return {
    kind: inner.kind,
    sampleRate: inner.sampleRate,
    dims: inner.dims,
    config: inner.config,
    async compute(waveform, ctx) {
      const x = speedPerturb(waveform, inner.sampleRate, speed);
      return inner.compute(x, { ...ctx, expectedSamples: x.length });
    },
    dispose: inner.dispose?.bind(inner),
  };
}

function withPostprocessing(inner: Featurizer, c: CommonFeatureOptions): Featurizer {
  if (!c.deltas && c.cmvn === 'none') return inner;
  const innerStream = inner.stream?.bind(inner);
  return {
    kind: inner.kind,
    sampleRate: inner.sampleRate,
    dims: inner.dims * (c.deltas ? 3 : 1),
    config: inner.config,
    async compute(waveform, ctx) {
      return postprocess(await inner.compute(waveform, ctx), c);
    },
    stream: innerStream
      ? (ctx) => {
          const s = innerStream(ctx);
          return { push: (chunk) => s.push(chunk), finish: () => postprocess(s.finish(), c) };
        }
      : undefined,
    dispose: inner.dispose?.bind(inner),
  };
}

/**
 * The featurizer `spec` names (`fbank`, `mfcc`, `melspec`, `meyda:rms,zcr`...), configured by `values`
 * (keys as in the kinds' option specs, camelCase). Bad options are InputErrors naming the flag.
 */
export async function createFeaturizer(spec: string, values: OptionValues = {}): Promise<Featurizer> {
  const kind = featurizerKind(spec);
  const common = resolveOptions(COMMON_FEATURE_DEFAULTS, values);
  if (!CMVN_MODES.includes(common.cmvn)) throw new InputError(`expected one of ${CMVN_MODES.join('|')}, got "${common.cmvn}"`, { field: '--cmvn' });
  if (!Number.isInteger(common.deltaWindow) || common.deltaWindow < 3) throw new InputError(`must be an integer >= 3, got ${common.deltaWindow}`, { field: '--delta-window' });
  let inner: Featurizer;
  try {
    inner = await kind.create(spec, values, common);
  } catch (e) {
    if (e instanceof RangeError) throw new InputError(e.message);
    throw e;
  }
  if (!(common.speed > 0 && Number.isFinite(common.speed))) throw new InputError(`must be a positive number, got ${common.speed}`, { field: '--speed' });
  const f = withPostprocessing(withSpeed(inner, common.speed), common);
  const config = {
    ...f.config, features: spec, deltas: common.deltas, deltaWindow: common.deltaWindow, cmvn: common.cmvn,
    ...(common.speed !== 1 ? { speed: common.speed } : {}), dims: f.dims, sampleRate: f.sampleRate,
  };
  return { ...f, config, compute: f.compute.bind(f), stream: f.stream?.bind(f), computeBatch: f.computeBatch?.bind(f), dispose: f.dispose?.bind(f) };
}
