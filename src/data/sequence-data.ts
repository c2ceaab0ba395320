import { isAbsolute, resolve } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import type { Fields } from '../util/fields.ts';
import { Rng } from '../util/rng.ts';
import { InputError } from '../util/errors.ts';
import { FeatureDataset } from './features.ts';
import type { LabelSpec } from './labels.ts';
import { WAVEFORM_RATE, WaveformDataset, type WaveformLoader } from './waveform.ts';
import { collateSequences, planSequenceBatches, type SequenceBatch, type SequenceDataset } from './sequence.ts';
import { PlannedBatchSource, type EvalSource } from './source.ts';
import type { BuiltData, DataBuildContext } from './registry.ts';

/**
 * The `features` and `waveform` data kinds: config fields, defaults, and the train/valid sources.
 *
 *   data:
 *     kind: features            # or waveform
 *     train: {features: feats/train, labels: [labels/train.km]}   # waveform: {manifest: train.tsv, labels: [...]}
 *     valid: {features: feats/valid, labels: [labels/valid.km]}
 *     labelsPerFrame: 1         # one number, or one per label file
 *     batchSize: 8
 */
export interface SequenceDataConfig {
  batchSize: number;
  maxTokens: number;
  maxFrames: number;
  minFrames: number;
  bucket: boolean;
  cropToShortest: boolean;
  labelsPerFrame: number[];
  labelTolerance: number;
}

export const SEQUENCE_DATA_DEFAULTS: SequenceDataConfig = {
  batchSize: 8,
  maxTokens: 0,
  maxFrames: 0,
  minFrames: 1,
  bucket: true,
  cropToShortest: false,
  labelsPerFrame: [1],
  labelTolerance: 2,
};

/** HuBERT's waveform default: 50 Hz labels on 16 kHz samples. */
const WAVEFORM_LABELS_PER_SAMPLE = 50 / WAVEFORM_RATE;

interface SplitSpec {
  features?: string;
  manifest?: string;
  labels: string[];
}

function readSplit(f: Fields, ctx: DataBuildContext, waveform: boolean): SplitSpec {
  const path = (name: string) => {
    const p = f.optionalString(name);
    return p === undefined ? undefined : isAbsolute(p) ? p : resolve(ctx.baseDir, p);
  };
  const spec: SplitSpec = {
    features: waveform ? undefined : path('features'),
    manifest: path('manifest'),
    labels: f.list('labels').map((l, i) => {
      if (typeof l !== 'string') f.fail(`labels[${i}]`, 'expected a path to a .km file');
      return isAbsolute(l) ? l : resolve(ctx.baseDir, l);
    }),
  };
  if (waveform && !spec.manifest) f.fail('manifest', 'required: the fairseq .tsv manifest of the audio');
  if (!waveform && !spec.features) f.fail('features', 'required: a shard .npy, a shard prefix (dir/split) or a folder of per-utterance .npy files');
  f.done();
  return spec;
}

function openSplit(spec: SplitSpec, cfg: SequenceDataConfig, waveform: boolean, loader: WaveformLoader | undefined, field: string): SequenceDataset {
  const perFrame = (k: number) => cfg.labelsPerFrame[Math.min(k, cfg.labelsPerFrame.length - 1)];
  const labels: LabelSpec[] = spec.labels.map((file, k) => ({ file, perFrame: perFrame(k), tolerance: cfg.labelTolerance }));
  if (waveform) {
    if (!loader) throw new InputError('no audio loader is available for waveform data', { field });
    return new WaveformDataset(spec.manifest!, loader, labels);
  }
  const p = spec.features!;
  if (existsSync(p) && statSync(p).isDirectory()) return FeatureDataset.fromFolder(p, spec.manifest, labels);
  return FeatureDataset.fromShards(p, labels);
}

/** `labelsPerFrame`: one number for every label set, or a list with one per label file. */
function readRates(f: Fields, def: number[]): number[] {
  if (typeof f.raw('labelsPerFrame') === 'number') return [f.number('labelsPerFrame', def[0], { above: 0 })];
  const list = f.numberList('labelsPerFrame', def, { above: 0 });
  if (list.length === 0) f.fail('labelsPerFrame', 'expected a number > 0 or a non-empty list of them');
  return list;
}

export function buildSequenceData(f: Fields, ctx: DataBuildContext, waveform: boolean): BuiltData<SequenceBatch> {
  const d = SEQUENCE_DATA_DEFAULTS;
  const cfg: SequenceDataConfig = {
    batchSize: f.int('batchSize', d.batchSize, { min: 1 }),
    maxTokens: f.int('maxTokens', d.maxTokens, { min: 0 }),
    maxFrames: f.int('maxFrames', d.maxFrames, { min: 0 }),
    minFrames: f.int('minFrames', d.minFrames, { min: 0 }),
    bucket: f.bool('bucket', d.bucket),
    cropToShortest: f.bool('cropToShortest', d.cropToShortest),
    labelsPerFrame: readRates(f, waveform ? [WAVEFORM_LABELS_PER_SAMPLE] : d.labelsPerFrame),
    labelTolerance: f.int('labelTolerance', d.labelTolerance, { min: 0 }),
  };
  if (!f.has('train')) f.fail('train', 'required: where the training data is');
  const trainSpec = readSplit(f.object('train'), ctx, waveform);
  const validSpec = f.has('valid') ? readSplit(f.object('valid'), ctx, waveform) : undefined;
  f.done(['kind']);
  const train = openSplit(trainSpec, cfg, waveform, ctx.waveformLoader, f.field('train'));
  const valid = validSpec ? openSplit(validSpec, cfg, waveform, ctx.waveformLoader, f.field('valid')) : undefined;
  if (valid && (valid.dims !== train.dims || valid.labelSets.length !== train.labelSets.length)) {
    throw new InputError(`valid has ${valid.dims} dims and ${valid.labelSets.length} label sets, train has ${train.dims} and ${train.labelSets.length}`, { field: f.field('valid') });
  }
  const lengths = Array.from({ length: train.size }, (_, i) => train.length(i));
  const plan = { batchSize: cfg.batchSize, maxTokens: cfg.maxTokens, maxFrames: cfg.maxFrames, minFrames: cfg.minFrames, bucket: cfg.bucket };
  const collate = async (ds: SequenceDataset, indices: number[], random: boolean, rng: Rng) => {
    await ds.prefetch?.(indices);
    const ok = ds.failures ? indices.filter((i) => !ds.failures!.has(i)) : indices;
    if (ok.length === 0) throw new InputError(`every item of a batch failed to load: ${indices.map((i) => ds.failures?.get(i)).join('; ')}`);
    return collateSequences(ds, ok, { maxFrames: cfg.maxFrames, cropToShortest: cfg.cropToShortest, randomCrop: random }, rng);
  };
  const trainSource = new PlannedBatchSource<SequenceBatch>({
    seed: ctx.seed,
    plan: (_epoch, rng) => planSequenceBatches(lengths, { ...plan, shuffle: true }, rng),
    collate: (indices, rng) => collate(train, indices, true, rng),
  });
  let validSource: EvalSource<SequenceBatch> | undefined;
  if (valid) {
    const vlen = Array.from({ length: valid.size }, (_, i) => valid.length(i));
    const batches = planSequenceBatches(vlen, { ...plan, bucket: cfg.bucket, shuffle: false }, new Rng(0));
    validSource = {
      async *batches() {
        for (const b of batches) yield await collate(valid, b, false, new Rng(0));
      },
    };
  }
  const failures = () => [train, valid].flatMap((ds) => (ds?.failures ? [...ds.failures.values()] : []));
  return {
    train: trainSource,
    valid: validSource,
    info: { kind: waveform ? 'waveform' : 'features', inputDims: train.dims, isWaveform: waveform, labelSets: [...train.labelSets], numTrain: train.size, numValid: valid?.size ?? 0 },
    failures,
  };
}
