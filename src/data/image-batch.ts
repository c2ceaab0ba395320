import type { Image } from '../image/image.ts';
import { type ImageBatch, type ImageSource, packImages } from '../image/dataset.ts';
import type { ChannelStats } from '../image/transforms/normalize.ts';
import type { Rng } from '../util/rng.ts';
import type { Batch } from './source.ts';

/**
 * What the `image` data kind hands the Trainer: the raw images of a batch, untouched (HWC float in [0, 1],
 * all of one shape), with their class labels. Each method makes its own inputs from them with its own
 * view generator or pretext sampler (src/image/views) and the step's seeded `ctx.rng`:
 *
 *   const views = generator.generate(imageBatchSource(batch), batchPositions(batch), ctx.rng);
 *   const x = imageTensor(views[0], batch.normalize);      // src/methods/image-tensor.ts
 *
 * The normalisation is the data's (one per run), applied when a view becomes a tensor, so augmentations
 * see [0, 1] pixels and every method, the shared forward and evaluation standardise alike.
 * Labels are for monitoring and evaluation only; no self-supervised method may train on them.
 */
export interface ImageTrainBatch extends Batch {
  readonly kind: 'image';
  /** The batch's images as loaded (shared with the dataset: never modify them). */
  images: Image[];
  /** [height, width, channels] of every image. */
  shape: [number, number, number];
  /** Class index per image (into the data's class names); -1 when unknown. */
  labels: Int32Array;
  /** Dataset indices and sources (file paths, `file#record`) of the images. */
  indices: number[];
  ids: string[];
  /** Per-channel standardisation applied when images become tensors; null keeps [0, 1]. */
  normalize: ChannelStats | null;
}

/** What an image data kind adds to `DataInfo`. */
export interface ImageDataInfo {
  height: number;
  width: number;
  channels: number;
  normalize: ChannelStats | null;
  classNames: string[];
  /**
   * `count` training images drawn without replacement by `rng` (all of them when there are fewer), for
   * methods that fit something once at build time (the masked-patch tokenizer's k-means).
   */
  sampleTrainImages(count: number, rng: Rng): Image[];
}

/** The batch as an `ImageSource`, the input view generators and pretext samplers read. */
export function imageBatchSource(batch: ImageTrainBatch): ImageSource {
  return {
    size: batch.images.length,
    get(i: number): Image {
      const img = batch.images[i];
      if (img === undefined) throw new RangeError(`image ${i} is outside the batch of ${batch.images.length}`);
      return img;
    },
  };
}

/** 0..n-1: every image of the batch, in order (the `indices` argument of a generator). */
export function batchPositions(batch: ImageTrainBatch): Int32Array {
  return Int32Array.from({ length: batch.images.length }, (_, i) => i);
}

/** The raw images packed NHWC (the input of the shared forward and of evaluation). */
export function rawImageBatch(batch: ImageTrainBatch): ImageBatch {
  return packImages(batch.images, (k) => batch.ids[k] ?? `image ${k}`);
}
