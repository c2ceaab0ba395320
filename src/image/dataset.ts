/**
 * A labelled set of images in memory, the unit every loader returns and every view generator reads from.
 * Loaders skip what they cannot read and hand back a `LoadFailure` for each (file + problem), as the
 * audio loaders do for corrupt WAVs.
 */
import { InputError } from '../util/errors.ts';
import type { Rng } from '../util/rng.ts';
import { type Image, shapeString } from './image.ts';

/** Anything a view generator can draw images from by index. */
export interface ImageSource {
  readonly size: number;
  get(index: number): Image;
}

/** One file (or record) a loader could not use, and why. */
export interface LoadFailure {
  file: string;
  problem: string;
}

/** N images of one shape packed NHWC, what the methods turn into tensors. */
export interface ImageBatch {
  data: Float32Array;
  shape: [number, number, number, number];
}

export class ImageDataset implements ImageSource {
  /**
   * @param images the pixels, one per sample
   * @param labels class index per sample (into classNames)
   * @param classNames the class of each label index
   * @param sources where each sample came from (file path, or `file#record`), for reports
   */
  constructor(
    readonly images: Image[],
    readonly labels: Int32Array,
    readonly classNames: string[],
    readonly sources: string[],
  ) {
    if (labels.length !== images.length || sources.length !== images.length) {
      throw new RangeError(`dataset has ${images.length} images, ${labels.length} labels and ${sources.length} sources`);
    }
    for (let i = 0; i < labels.length; i++) {
      if (!(labels[i] >= 0 && labels[i] < classNames.length)) {
        throw new RangeError(`${sources[i]}: label ${labels[i]} is outside 0..${classNames.length - 1}`);
      }
    }
  }

  get size(): number {
    return this.images.length;
  }

  get(index: number): Image {
    const img = this.images[index];
    if (img === undefined) throw new RangeError(`image index ${index} is outside 0..${this.size - 1}`);
    return img;
  }

  label(index: number): number {
    return this.labels[index];
  }

  /** How many samples each class has, indexed like classNames. */
  countsPerClass(): number[] {
    const counts = new Array<number>(this.classNames.length).fill(0);
    for (const l of this.labels) counts[l]++;
    return counts;
  }

  /** The common shape of all images, or null when they differ (or the set is empty). */
  uniformShape(): { height: number; width: number; channels: number } | null {
    if (this.size === 0) return null;
    const { height, width, channels } = this.images[0];
    for (const img of this.images) {
      if (img.height !== height || img.width !== width || img.channels !== channels) return null;
    }
    return { height, width, channels };
  }

  /** A dataset of the given samples (sharing pixel buffers, in the given order). */
  subset(indices: ArrayLike<number>): ImageDataset {
    const idx = Array.from(indices);
    return new ImageDataset(
      idx.map((i) => this.get(i)),
      Int32Array.from(idx, (i) => this.labels[i]),
      this.classNames,
      idx.map((i) => this.sources[i]),
    );
  }

  /** Packs the given samples (all by default) NHWC; all must have one shape. */
  toBatch(indices?: ArrayLike<number>): ImageBatch {
    const idx = indices ? Array.from(indices) : Array.from({ length: this.size }, (_, i) => i);
    return packImages(idx.map((i) => this.get(i)), (k) => this.sources[idx[k]]);
  }
}

/** Packs same-shaped images into one NHWC batch. `nameOf` names an image in the mismatch error. */
export function packImages(images: Image[], nameOf: (k: number) => string = (k) => `image ${k}`): ImageBatch {
  if (images.length === 0) throw new RangeError('cannot pack an empty list of images');
  const first = images[0];
  const per = first.data.length;
  const data = new Float32Array(per * images.length);
  for (let k = 0; k < images.length; k++) {
    const img = images[k];
    if (img.height !== first.height || img.width !== first.width || img.channels !== first.channels) {
      throw new InputError(`image is ${shapeString(img)} but the batch is ${shapeString(first)}; resize when loading (size option)`, { file: nameOf(k) });
    }
    data.set(img.data, k * per);
  }
  return { data, shape: [images.length, first.height, first.width, first.channels] };
}

/**
 * Splits a dataset into train and test at random, per class (each class keeps about `testFraction` of its
 * samples in test), for sources that have no split of their own (the digits CSV).
 */
export function stratifiedSplit(ds: ImageDataset, testFraction: number, rng: Rng): { train: ImageDataset; test: ImageDataset } {
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError(`testFraction must be in (0, 1), got ${testFraction}`);
  const byClass: number[][] = ds.classNames.map(() => []);
  for (let i = 0; i < ds.size; i++) byClass[ds.labels[i]].push(i);
  const train: number[] = [];
  const test: number[] = [];
  for (const members of byClass) {
    rng.shuffle(members);
    const nTest = Math.round(members.length * testFraction);
    test.push(...members.slice(0, nTest));
    train.push(...members.slice(nTest));
  }
  train.sort((a, b) => a - b);
  test.sort((a, b) => a - b);
  return { train: ds.subset(train), test: ds.subset(test) };
}
