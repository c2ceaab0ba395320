import type * as tf from '@tensorflow/tfjs-core';
import type { Module } from '../nn/module.ts';

/**
 * The contract every encoder (audio or image) meets, so that every method and the ONNX exporter can
 * drive any of them. An encoder is two stages:
 *   local features  x -> f   (conv subsampler / waveform conv stack / patch embedding / conv net), [B, T, D]
 *   context         f -> h   (transformer or recurrent layers), with optional frame masking
 * Methods that need the features before masking (wav2vec 2.0 targets, HuBERT's feature penalty) call
 * `features` then `context`; the rest call `forward`.
 */
export interface EncoderForwardOptions {
  /** [B, T_in] float, 1 where the input is padding. */
  paddingMask?: tf.Tensor;
  /** [B, T] float at the encoder's frame rate, 1 where a frame is replaced by the learned mask vector. */
  frameMask?: tf.Tensor;
  /** Stop after this many context layers (1-based); hidden states up to it are returned. */
  maxLayer?: number;
}

export interface LocalFeatures {
  /** [B, T, D] after subsampling/patching and projection to the model width. */
  features: tf.Tensor3D;
  /** [B, T] float at the encoder frame rate, 1 where padding, if the input had a padding mask. */
  paddingMask?: tf.Tensor2D;
  /**
   * [B, T, C] the convolutional frontend's output before feature norm and projection (fairseq's
   * `features`), when the encoder has one: the feature penalty belongs on these, since on the normalised,
   * projected features it can be met by shrinking the projection to nothing.
   */
  extracted?: tf.Tensor3D;
}

export interface EncoderOutput extends LocalFeatures {
  /** [B, T, D] output of the last layer run (after the final norm, if any). */
  output: tf.Tensor3D;
  /** Output of each context layer, index 0 = the input to the first layer, i = after layer i. */
  hidden: tf.Tensor3D[];
}

/**
 * What an encoder takes: frames [B, T, dim] (log-mel, MFCC...), a waveform [B, S], or NHWC images
 * [B, H, W, channels] (of a fixed side `size`, when the model needs one). Extraction, export and the
 * trainer's data checks read it from the encoder itself.
 */
export type EncoderInput = { kind: 'frames'; dim: number } | { kind: 'waveform' } | { kind: 'image'; channels: number; size?: number };

export interface Encoder extends Module {
  /** Registry name of the architecture (`audio-transformer`, `cpc`, `resnet`, `vit`...). */
  readonly kind: string;
  /** What the encoder takes. */
  readonly input: EncoderInput;
  /** The JSON config the encoder was built from (stored in checkpoints' model.json). */
  readonly config: object;
  /** Width of the output vectors. */
  readonly outputDim: number;
  /** Width of `features` when it differs from `outputDim` (CPC: conv channels vs. context width). */
  readonly featureDim?: number;
  /** Number of context layers. */
  readonly numLayers: number;
  /** Frames (or positions) out for `inputLength` frames/samples in. */
  outputLength(inputLength: number): number;
  features(x: tf.Tensor, opts?: EncoderForwardOptions): LocalFeatures;
  context(local: LocalFeatures, opts?: EncoderForwardOptions): EncoderOutput;
  forward(x: tf.Tensor, opts?: EncoderForwardOptions): EncoderOutput;
}
