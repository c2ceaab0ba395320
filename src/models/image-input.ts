import * as tf from '@tensorflow/tfjs-core';
import type { EncoderForwardOptions } from './encoder.ts';

/**
 * What image encoders share: the input check (NHWC [B, H, W, C] images, no padding mask), the token
 * grid of their output, and the pooling that turns tokens into one vector per image.
 */

/** The grid the output tokens come from, row-major: token t is at (t / cols, t % cols). */
export interface ImageTokens {
  rows: number;
  cols: number;
}

/** Checks that `x` is [B, H, W, channels] and that no padding mask was given; returns it as 4-D. */
export function checkImageInput(kind: string, x: tf.Tensor, channels: number, opts: EncoderForwardOptions): tf.Tensor4D {
  if (x.rank !== 4) throw new Error(`${kind}: expected images [batch, height, width, channels], got a tensor of shape [${x.shape}]`);
  if (x.shape[3] !== channels) throw new Error(`${kind}: images have ${x.shape[3]} channels, the encoder takes ${channels}`);
  if (opts.paddingMask) throw new Error(`${kind}: images have no padding; do not pass a padding mask`);
  return x as tf.Tensor4D;
}

/** Mean over the tokens, [B, T, D] -> [B, D]: the one vector per image that evaluation and image methods use. */
export function poolTokens(tokens: tf.Tensor3D): tf.Tensor2D {
  return tf.tidy(() => tf.mean(tokens, 1) as tf.Tensor2D);
}
