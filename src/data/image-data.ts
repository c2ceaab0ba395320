import type { Fields } from '../util/fields.ts';
import { InputError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { mixSeed } from '../util/seed.ts';
import { stratifiedSplit, type ImageDataset } from '../image/dataset.ts';
import type { Image } from '../image/image.ts';
import { PlannedBatchSource, type EvalSource } from './source.ts';
import type { BuiltData, DataBuildContext } from './registry.ts';
import type { ImageDataInfo, ImageTrainBatch } from './image-batch.ts';
import { IMAGE_SOURCE_FIELDS, loadImageSplits, readImageSourceSpec, uniformImageShape, type ImageSourceSpec } from './image-source.ts';

/**
 * The `image` data kind: a source of labelled images (src/data/image-source.ts), seeded batches of the raw
 * images (ImageTrainBatch), and a validation split.
 *
 *   data:
 *     kind: image
 *     source: folder            # folder | cifar-binary | digits-csv (see image-source.ts)
 *     path: ../shared/data/cifar10
 *     size: 32
 *     normalize: cifar10
 *     maxTrain: 0               # train on a seeded, class-stratified subset of this many images (0: all)
 *     valid: holdout            # none | holdout (validFraction of train, stratified, never trained on) | test
 *     validFraction: 0.1
 *     batchSize: 64
 *     dropLast: true            # leave out an epoch's last, smaller batch
 *
 * Batches are a seeded shuffle of the training images per epoch (the planned source, so the data position
 * is checkpointed and a resumed run sees the same batches). Files that fail to decode are skipped and
 * reported by `failures()`.
 */
export interface ImageDataConfig {
  spec: ImageSourceSpec;
  maxTrain: number;
  valid: 'none' | 'holdout' | 'test';
  validFraction: number;
  batchSize: number;
  dropLast: boolean;
}

export const IMAGE_DATA_DEFAULTS = { maxTrain: 0, valid: 'none', validFraction: 0.1, batchSize: 64, dropLast: true } as const;

export function readImageDataConfig(f: Fields, baseDir: string): ImageDataConfig {
  const d = IMAGE_DATA_DEFAULTS;
  const spec = readImageSourceSpec(f, baseDir);
  const c: ImageDataConfig = {
    spec,
    maxTrain: f.int('maxTrain', d.maxTrain, { min: 0 }),
    valid: f.choice('valid', ['none', 'holdout', 'test'] as const, d.valid),
    validFraction: f.number('validFraction', d.validFraction, { above: 0, max: 0.5 }),
    batchSize: f.int('batchSize', d.batchSize, { min: 1 }),
    dropLast: f.bool('dropLast', d.dropLast),
  };
  f.done(['kind', 'train', ...IMAGE_SOURCE_FIELDS]);
  return c;
}

/** A class-stratified subset of `count` images (seeded), in dataset order. */
export function stratifiedSubset(ds: ImageDataset, count: number, rng: Rng): ImageDataset {
  if (count <= 0 || count >= ds.size) return ds;
  return stratifiedSplit(ds, count / ds.size, rng).test;
}

/** Batches of one epoch: a seeded permutation cut into `batchSize` pieces (the last dropped if short and asked). */
export function planImageBatches(size: number, batchSize: number, dropLast: boolean, rng: Rng): number[][] {
  const order = rng.permutation(size);
  const out: number[][] = [];
  for (let i = 0; i < size; i += batchSize) {
    const b = order.slice(i, i + batchSize);
    if (b.length < batchSize && dropLast && out.length > 0) break;
    out.push(b);
  }
  return out;
}

export function collateImages(ds: ImageDataset, indices: number[], normalize: ImageSourceSpec['normalize']): ImageTrainBatch {
  const images = indices.map((i) => ds.get(i));
  const { height, width, channels } = images[0];
  return { kind: 'image', images, shape: [height, width, channels], labels: Int32Array.from(indices, (i) => ds.label(i)), indices: [...indices], ids: indices.map((i) => ds.sources[i]), normalize };
}

export function buildImageData(f: Fields, ctx: DataBuildContext): BuiltData<ImageTrainBatch> {
  if (f.has('train')) f.fail('train', 'image data names its images with source/path (and trainSplit), not a train section');
  const cfg = readImageDataConfig(f, ctx.baseDir);
  const splits = loadImageSplits(cfg.spec, cfg.valid === 'test');
  const failures = splits.failures.map((x) => `${x.file}: ${x.problem}`);
  let train = splits.train;
  let valid: ImageDataset | null = null;
  if (cfg.valid === 'test') valid = splits.test;
  else if (cfg.valid === 'holdout') {
    const parts = stratifiedSplit(train, cfg.validFraction, new Rng(mixSeed(cfg.spec.splitSeed, 11)));
    train = parts.train;
    valid = parts.test;
  }
  train = stratifiedSubset(train, cfg.maxTrain, new Rng(mixSeed(cfg.spec.splitSeed, 12)));
  const shape = uniformImageShape(train, cfg.spec.path);
  if (valid) {
    const v = uniformImageShape(valid, cfg.spec.path);
    if (v.height !== shape.height || v.width !== shape.width || v.channels !== shape.channels) {
      throw new InputError(`validation images are ${v.height}x${v.width}x${v.channels}, training images ${shape.height}x${shape.width}x${shape.channels}; give a size`, { file: cfg.spec.path, field: f.field('size') });
    }
    if (valid.size === 0) throw new InputError('the validation split has no images', { file: cfg.spec.path, field: f.field('valid') });
  }
  if (cfg.spec.normalize && cfg.spec.normalize.mean.length !== shape.channels) {
    throw new InputError(`has statistics for ${cfg.spec.normalize.mean.length} channels, the images have ${shape.channels}`, { field: f.field('normalize') });
  }
  const normalize = cfg.spec.normalize;
  const trainSet = train;
  const trainSource = new PlannedBatchSource<ImageTrainBatch>({
    seed: ctx.seed,
    plan: (_epoch, rng) => planImageBatches(trainSet.size, cfg.batchSize, cfg.dropLast, rng),
    collate: (indices) => collateImages(trainSet, indices, normalize),
  });
  let validSource: EvalSource<ImageTrainBatch> | undefined;
  if (valid) {
    const v = valid;
    validSource = {
      async *batches() {
        for (let i = 0; i < v.size; i += cfg.batchSize) {
          yield collateImages(v, Array.from({ length: Math.min(cfg.batchSize, v.size - i) }, (_, k) => i + k), normalize);
        }
      },
    };
  }
  const image: ImageDataInfo = {
    ...shape,
    normalize,
    classNames: splits.classNames,
    sampleTrainImages(count: number, rng: Rng): Image[] {
      const order = rng.permutation(trainSet.size).slice(0, Math.min(count, trainSet.size));
      return order.map((i) => trainSet.get(i));
    },
  };
  return {
    train: trainSource,
    valid: validSource,
    info: { kind: 'image', inputDims: shape.channels, isWaveform: false, labelSets: [], numClasses: splits.classNames.length, numTrain: train.size, numValid: valid?.size ?? 0, image },
    failures: () => failures,
  };
}
