import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { Fields } from '../util/fields.ts';
import { InputError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { ImageDataset, stratifiedSplit, type LoadFailure } from '../image/dataset.ts';
import { loadImageFolder } from '../image/image-folder.ts';
import { loadCifarBinary } from '../image/cifar-binary.ts';
import { loadDigitsCsv } from '../image/digits-csv.ts';
import { resizeImage } from '../image/transforms/resize.ts';
import { CIFAR10_STATS, type ChannelStats } from '../image/transforms/normalize.ts';

/**
 * Where a run's (or an evaluation's) images come from, and how they are prepared: the part of the
 * `image` data config that training and `speech-ssl eval --checkpoint` share, so that evaluation reads
 * the same images, at the same size, standardised the same way, as the run that trained the encoder.
 *
 *   source: folder            # root/<trainSplit>/<class>/*.{jpg,png} and root/<testSplit>/<class>/...
 *           cifar-binary      # data_batch_{1..5}.bin (train) and test_batch.bin (test)
 *           digits-csv        # digits.csv.gz; train/test by a stratified split (testFraction, splitSeed)
 *   path: ../shared/data/cifar10
 *   size: 32                  # resize every image (or [height, width]); absent: the files' own size
 *   channels: 3               # folder only: 3, or 1 for luma
 *   normalize: cifar10        # none | cifar10 | {mean: [...], std: [...]}
 */
export const IMAGE_SOURCES = ['folder', 'cifar-binary', 'digits-csv'] as const;
export type ImageSourceKind = (typeof IMAGE_SOURCES)[number];

export interface ImageSourceSpec {
  source: ImageSourceKind;
  /** Absolute path of the folder or file. */
  path: string;
  trainSplit: string;
  testSplit: string;
  channels: 1 | 3;
  size: { height: number; width: number } | null;
  testFraction: number;
  splitSeed: number;
  normalize: ChannelStats | null;
}

export const IMAGE_SOURCE_DEFAULTS = { source: 'folder', trainSplit: 'train', testSplit: 'test', channels: 3, testFraction: 0.2, splitSeed: 0 } as const;
/** The fields `readImageSourceSpec` reads (a data kind's `done()` must not reject them). */
export const IMAGE_SOURCE_FIELDS = ['source', 'path', 'trainSplit', 'testSplit', 'channels', 'size', 'testFraction', 'splitSeed', 'normalize'] as const;

function readSize(f: Fields): ImageSourceSpec['size'] {
  const raw = f.raw('size');
  if (raw === undefined || raw === null) return null;
  if (typeof raw === 'number') {
    const s = f.int('size', 0, { min: 1 });
    return { height: s, width: s };
  }
  const list = f.numberList('size', [], { integer: true, min: 1 });
  if (list.length !== 2) f.fail('size', `expected a side or [height, width], got a list of ${list.length}`);
  return { height: list[0], width: list[1] };
}

function readNormalize(f: Fields): ChannelStats | null {
  const raw = f.raw('normalize');
  if (raw === undefined || raw === null || raw === 'none') return null;
  if (raw === 'cifar10') return CIFAR10_STATS;
  if (typeof raw === 'string') f.fail('normalize', `expected none, cifar10 or {mean: [...], std: [...]}, got "${raw}"`);
  const o = f.object('normalize');
  const mean = o.numberList('mean', []);
  const std = o.numberList('std', [], { above: 0 });
  o.done();
  if (mean.length === 0 || mean.length !== std.length) f.fail('normalize', `needs one mean and one std per channel, got ${mean.length} and ${std.length}`);
  return { mean, std };
}

/** Reads the source fields of `f` (see the header); relative paths resolve against `baseDir`. */
export function readImageSourceSpec(f: Fields, baseDir: string): ImageSourceSpec {
  const d = IMAGE_SOURCE_DEFAULTS;
  const source = f.choice('source', IMAGE_SOURCES, d.source);
  const p = f.optionalString('path');
  if (!p) f.fail('path', `required: the ${source === 'folder' ? 'image folder (root/<split>/<class>/...)' : source === 'cifar-binary' ? 'folder of CIFAR-10 .bin batches' : 'digits CSV file (digits.csv.gz)'}`);
  const path = isAbsolute(p) ? p : resolve(baseDir, p);
  const channels = f.int('channels', d.channels, { min: 1, max: 3 });
  if (channels === 2) f.fail('channels', 'expected 1 or 3');
  if (channels !== 3 && source !== 'folder') f.fail('channels', `only folder sources convert channels; ${source} images have their own`);
  return {
    source,
    path,
    trainSplit: f.string('trainSplit', d.trainSplit),
    testSplit: f.string('testSplit', d.testSplit),
    channels: channels as 1 | 3,
    size: readSize(f),
    testFraction: f.number('testFraction', d.testFraction, { above: 0, max: 0.9 }),
    splitSeed: f.int('splitSeed', d.splitSeed, { min: 0 }),
    normalize: readNormalize(f),
  };
}

export interface ImageSplits {
  train: ImageDataset;
  /** Null when the source has no test split (a folder without `testSplit`). */
  test: ImageDataset | null;
  classNames: string[];
  failures: LoadFailure[];
}

function resized(ds: ImageDataset, size: ImageSourceSpec['size']): ImageDataset {
  if (!size) return ds;
  const images = ds.images.map((img) => (img.height === size.height && img.width === size.width ? img : resizeImage(img, size.height, size.width)));
  return new ImageDataset(images, ds.labels, ds.classNames, ds.sources);
}

/**
 * Loads the train and test splits of a source. Files that cannot be decoded are skipped and listed in
 * `failures`; a missing folder or file is an InputError naming it.
 */
export function loadImageSplits(spec: ImageSourceSpec, needTest = false): ImageSplits {
  if (!existsSync(spec.path)) throw new InputError('not found', { file: spec.path });
  if (spec.source === 'folder') {
    if (!statSync(spec.path).isDirectory()) throw new InputError('expected a folder holding split folders (root/<split>/<class>/...)', { file: spec.path });
    const trainDir = join(spec.path, spec.trainSplit);
    const testDir = join(spec.path, spec.testSplit);
    if (!existsSync(trainDir)) throw new InputError(`the train split folder "${spec.trainSplit}" is missing`, { file: spec.path });
    if (needTest && !existsSync(testDir)) throw new InputError(`the test split folder "${spec.testSplit}" is missing`, { file: spec.path });
    const opts = { channels: spec.channels, size: spec.size };
    const first = loadImageFolder(trainDir, opts);
    const classNames = first.dataset.classNames;
    const second = existsSync(testDir) ? loadImageFolder(testDir, { ...opts, classNames }) : null;
    return { train: first.dataset, test: second?.dataset ?? null, classNames, failures: [...first.failures, ...(second?.failures ?? [])] };
  }
  if (spec.source === 'cifar-binary') {
    const r = loadCifarBinary(spec.path);
    return { train: resized(r.train, spec.size), test: resized(r.test, spec.size), classNames: r.classNames, failures: r.failures };
  }
  const r = loadDigitsCsv(spec.path);
  const all = resized(r.dataset, spec.size);
  const { train, test } = stratifiedSplit(all, spec.testFraction, new Rng(spec.splitSeed));
  return { train, test, classNames: all.classNames, failures: r.failures };
}

/** The common shape of a dataset's images; an InputError (naming a file of each shape) when they differ. */
export function uniformImageShape(ds: ImageDataset, where: string): { height: number; width: number; channels: number } {
  const shape = ds.uniformShape();
  if (shape) return shape;
  if (ds.size === 0) throw new InputError('no images could be loaded', { file: where });
  const first = ds.images[0];
  const k = ds.images.findIndex((img) => img.height !== first.height || img.width !== first.width || img.channels !== first.channels);
  const s = (i: number) => `${ds.images[i].height}x${ds.images[i].width}x${ds.images[i].channels} (${ds.sources[i]})`;
  throw new InputError(`images differ in shape: ${s(0)} and ${s(k)}; give a size to resize them on load`, { file: where, field: 'size' });
}
