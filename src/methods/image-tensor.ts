import * as tf from '@tensorflow/tfjs-core';
import type { ImageBatch } from '../image/dataset.ts';
import type { ChannelStats } from '../image/transforms/normalize.ts';
import type { Encoder } from '../models/encoder.ts';
import { rawImageBatch, type ImageTrainBatch } from '../data/image-batch.ts';
import type { EncoderInput } from './method.ts';

/**
 * Image views (plain NHWC arrays from src/image/views) become encoder inputs here, standardised with the
 * data's per-channel statistics, and encoder tokens become one vector per image. Call inside a tidy or
 * gradient scope: the tensors are the caller's.
 */

/** NHWC float32 tensor of a packed batch, (x - mean[c]) / std[c] when `normalize` is given. */
export function imageTensor(images: ImageBatch, normalize: ChannelStats | null): tf.Tensor4D {
  const x = tf.tensor4d(images.data, images.shape, 'float32');
  if (!normalize) return x;
  const c = images.shape[3];
  if (normalize.mean.length !== c) throw new Error(`normalisation has statistics for ${normalize.mean.length} channels, the images have ${c}`);
  return tf.div(tf.sub(x, tf.tensor1d(normalize.mean)), tf.tensor1d(normalize.std)) as tf.Tensor4D;
}

/** The shared forward's input for an image batch: its raw images, standardised. */
export function imageEncoderInput(batch: ImageTrainBatch): EncoderInput {
  return { x: imageTensor(rawImageBatch(batch), batch.normalize) };
}

/**
 * One vector per image [N, D]: the mean over the tokens of the encoder output, or of hidden[layer] when a
 * layer is given (the forward then stops at that layer).
 */
export function pooledImageRepresentation(encoder: Encoder, x: tf.Tensor4D, layer: number | undefined): tf.Tensor2D {
  const out = encoder.forward(x, layer !== undefined ? { maxLayer: layer } : {});
  const tokens = layer !== undefined ? out.hidden[layer] : out.output;
  if (!tokens) throw new Error(`layer ${layer} asked, the encoder returned hidden states 0..${out.hidden.length - 1}`);
  return tf.mean(tokens, 1) as tf.Tensor2D;
}

/** Checks at build time that an encoder reads this data's images (channels; a ViT's fixed side). */
export function checkImageEncoder(method: string, encoder: Encoder, image: { height: number; width: number; channels: number } | undefined): void {
  if (!image) throw new Error(`method ${method} reads image data (data.kind: image)`);
  const cfg = encoder.config as { inChannels?: number; imageSize?: number };
  if (cfg.inChannels !== undefined && cfg.inChannels !== image.channels) {
    throw new Error(`method ${method}: the ${encoder.kind} encoder takes ${cfg.inChannels} channel(s), the images have ${image.channels} (set encoder.inChannels)`);
  }
  if (cfg.imageSize !== undefined && (cfg.imageSize !== image.height || cfg.imageSize !== image.width)) {
    throw new Error(`method ${method}: the ${encoder.kind} encoder takes ${cfg.imageSize}x${cfg.imageSize} images, the data gives ${image.height}x${image.width} (set encoder.imageSize or data.size)`);
  }
}
