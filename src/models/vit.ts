import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../nn/module.ts';
import { ModuleList } from '../nn/module-list.ts';
import { Conv2d } from '../nn/conv2d.ts';
import { LayerNorm } from '../nn/layer-norm.ts';
import { TransformerBlock } from '../nn/transformer-block.ts';
import { normal } from '../nn/init.ts';
import { Rng } from '../util/rng.ts';
import type { Encoder, EncoderForwardOptions, EncoderInput, EncoderOutput, LocalFeatures } from './encoder.ts';
import { checkImageInput, type ImageTokens } from './image-input.ts';
import type { Fields } from '../util/fields.ts';
import { readPreset, readProbability, type EncoderDefinition } from './encoder-definition.ts';

/**
 * A Vision Transformer (Dosovitskiy et al. 2021) on small images: "split an image into fixed-size
 * patches, linearly embed each of them, add position embeddings, and feed the resulting sequence of
 * vectors to a standard Transformer encoder". Mean pooling over the patch tokens replaces the class
 * token (evaluation pools the output; the encoder returns every token).
 *
 *   features:  patches p x p -> Linear (a p x p convolution of stride p), [B, (H/p)(W/p), D], row-major
 *   context:   frame mask (masked patches become the learned `mask_emb`, as BEiT / SimMIM) -> + learned
 *              position embedding -> pre-LN transformer blocks (src/nn) -> final LayerNorm
 *
 * Position embeddings are added after masking, so a mask token still says where it is. hidden[0] is the
 * input to the first block, hidden[i] the output of block i; `output` is the final norm of the last block run.
 * Parameter names: `patch_embed`, `mask_emb` [D], `pos_embed` [T, D], `layers.{i}.*` (TransformerBlock's
 * fairseq names), `layer_norm`.
 */
export interface VitConfig {
  kind: 'vit';
  /** Input height and width (the position embedding has one entry per patch of this grid). */
  imageSize: number;
  inChannels: number;
  patchSize: number;
  dim: number;
  depth: number;
  heads: number;
  ffnDim: number;
  dropout: number;
  attentionDropout: number;
  /** `none`: [B, T, D] tokens; `mean`: the output averaged to [B, 1, D] (hidden states keep every token). */
  pool: 'none' | 'mean';
  seed: number;
}

/** The default: a ViT small enough to train on a CPU for minutes (64 patches of 4x4 on 32x32 images). */
export const VIT_DEFAULTS: VitConfig = {
  kind: 'vit',
  imageSize: 32,
  inChannels: 3,
  patchSize: 4,
  dim: 128,
  depth: 4,
  heads: 4,
  ffnDim: 256,
  dropout: 0,
  attentionDropout: 0,
  pool: 'none',
  seed: 0,
};

/** DeiT-Ti's shape (Touvron et al. 2021): 192 wide, 12 blocks, 3 heads, MLP ratio 4. */
export const VIT_TINY: Partial<VitConfig> = { dim: 192, depth: 12, heads: 3, ffnDim: 768 };

/** The digits (8x8x1) as 16 patches of 2x2. */
export const VIT_DIGITS: Partial<VitConfig> = { imageSize: 8, inChannels: 1, patchSize: 2, dim: 64, depth: 2, heads: 4, ffnDim: 128 };

export function validateVitConfig(c: VitConfig): void {
  for (const name of ['imageSize', 'inChannels', 'patchSize', 'dim', 'depth', 'heads', 'ffnDim'] as const) {
    const v = c[name];
    if (!(Number.isInteger(v) && v >= 1)) throw new Error(`vit: ${name} must be a positive integer, got ${v}`);
  }
  if (c.imageSize % c.patchSize) throw new Error(`vit: imageSize ${c.imageSize} is not a multiple of patchSize ${c.patchSize}`);
  if (c.dim % c.heads) throw new Error(`vit: dim ${c.dim} is not divisible by heads ${c.heads}`);
  for (const name of ['dropout', 'attentionDropout'] as const) {
    if (!(c[name] >= 0 && c[name] < 1)) throw new Error(`vit: ${name} must be in [0, 1), got ${c[name]}`);
  }
  if (c.pool !== 'none' && c.pool !== 'mean') throw new Error(`vit: pool must be "none" or "mean", got "${String(c.pool)}"`);
}

/** x where mask is 0, `embedding` where it is 1: x * (1 - m) + m * e, for x [B, T, D], mask [B, T]. */
export function replaceMasked(x: tf.Tensor3D, mask: tf.Tensor, embedding: tf.Tensor): tf.Tensor3D {
  const [b, t] = x.shape;
  if (mask.rank !== 2 || mask.shape[0] !== b || mask.shape[1] !== t) throw new Error(`frame mask has shape [${mask.shape}], expected [${b}, ${t}]`);
  return tf.tidy(() => {
    const m = tf.expandDims(tf.cast(mask, 'float32'), 2);
    return tf.add(tf.mul(x, tf.sub(1, m)), tf.mul(m, embedding)) as tf.Tensor3D;
  });
}

export class VitEncoder extends Module implements Encoder {
  readonly kind = 'vit';
  readonly config: VitConfig;
  readonly outputDim: number;

  get input(): EncoderInput {
    return { kind: 'image', channels: this.config.inChannels, size: this.config.imageSize };
  }
  readonly numLayers: number;
  readonly grid: ImageTokens;
  readonly patchEmbed: Conv2d;
  readonly maskEmbedding: tf.Variable;
  readonly posEmbedding: tf.Variable;
  readonly blocks: TransformerBlock[] = [];
  readonly finalNorm: LayerNorm;

  constructor(config: Partial<VitConfig> = {}) {
    super();
    const c: VitConfig = { ...VIT_DEFAULTS, ...config, kind: 'vit' };
    validateVitConfig(c);
    this.config = c;
    this.outputDim = c.dim;
    this.numLayers = c.depth;
    const side = c.imageSize / c.patchSize;
    this.grid = { rows: side, cols: side };
    const rng = new Rng(c.seed);
    this.patchEmbed = this.child('patch_embed', new Conv2d(c.inChannels, c.dim, c.patchSize, { stride: c.patchSize, padding: 'valid', rng: rng.fork() }));
    const embRng = rng.fork();
    this.maskEmbedding = this.param('mask_emb', normal(embRng, [c.dim], 0.02));
    this.posEmbedding = this.param('pos_embed', normal(embRng, [side * side, c.dim], 0.02));
    const layers = this.child('layers', new ModuleList());
    for (let i = 0; i < c.depth; i++) {
      this.blocks.push(layers.add(new TransformerBlock({
        dim: c.dim, heads: c.heads, ffnDim: c.ffnDim, normFirst: true, dropout: c.dropout, attentionDropout: c.attentionDropout, rng: rng.fork(),
      })));
    }
    this.finalNorm = this.child('layer_norm', new LayerNorm(c.dim));
  }

  /** Patch tokens for a square image of side `inputLength`. */
  outputLength(inputLength: number): number {
    return this.config.pool === 'mean' ? 1 : Math.floor(inputLength / this.config.patchSize) ** 2;
  }

  tokenGrid(): ImageTokens {
    return this.config.pool === 'mean' ? { rows: 1, cols: 1 } : this.grid;
  }

  features(x: tf.Tensor, opts: EncoderForwardOptions = {}): LocalFeatures {
    const img = checkImageInput('vit', x, this.config.inChannels, opts);
    const [b, h, w] = img.shape;
    if (h !== this.config.imageSize || w !== this.config.imageSize) {
      throw new Error(`vit: images are ${h}x${w}, the encoder was built for ${this.config.imageSize}x${this.config.imageSize} (its position embedding is per patch)`);
    }
    return {
      features: tf.tidy(() => {
        const p = this.patchEmbed.forward(img);
        return tf.reshape(p, [b, p.shape[1] * p.shape[2], this.config.dim]) as tf.Tensor3D;
      }),
    };
  }

  context(local: LocalFeatures, opts: EncoderForwardOptions = {}): EncoderOutput {
    const last = Math.min(opts.maxLayer ?? this.numLayers, this.numLayers);
    if (!(Number.isInteger(last) && last >= 0)) throw new Error(`vit: maxLayer must be an integer in 0..${this.numLayers}, got ${opts.maxLayer}`);
    const hidden: tf.Tensor3D[] = [];
    // Each step returns a tensor owned by the caller's scope (no tf.keep, which would escape every scope).
    let x = tf.tidy(() => {
      const masked = opts.frameMask ? replaceMasked(local.features, opts.frameMask, this.maskEmbedding) : local.features;
      return tf.add(masked, this.posEmbedding) as tf.Tensor3D;
    });
    hidden.push(x);
    for (let i = 0; i < last; i++) {
      x = this.blocks[i].forward(x);
      hidden.push(x);
    }
    const output = tf.tidy(() => {
      const normed = this.finalNorm.forward(x) as tf.Tensor3D;
      return this.config.pool === 'mean' ? (tf.mean(normed, 1, true) as tf.Tensor3D) : normed;
    });
    return { features: local.features, output, hidden };
  }

  forward(x: tf.Tensor, opts: EncoderForwardOptions = {}): EncoderOutput {
    return this.context(this.features(x, opts), opts);
  }
}

/**
 * Presets: `cifar` (32x32x3, 64 patches of 4x4, 128 wide, 4 blocks: minutes on a CPU), `tiny` (DeiT-Ti's
 * 192 wide, 12 blocks, 3 heads on the same patches) and `digits` (8x8x1, 16 patches of 2x2).
 */
export const VIT_PRESETS: Readonly<Record<'cifar' | 'tiny' | 'digits', VitConfig>> = {
  cifar: VIT_DEFAULTS,
  tiny: { ...VIT_DEFAULTS, ...VIT_TINY },
  digits: { ...VIT_DEFAULTS, ...VIT_DIGITS },
};

/** A preset (`cifar` when absent) with fields overridden; the weight seed is the config's, else the build's. */
export function readVitConfig(f: Fields, seed: number): VitConfig {
  const base = readPreset(f, VIT_PRESETS);
  const c: VitConfig = {
    kind: 'vit',
    imageSize: f.int('imageSize', base.imageSize, { min: 1 }),
    inChannels: f.int('inChannels', base.inChannels, { min: 1 }),
    patchSize: f.int('patchSize', base.patchSize, { min: 1 }),
    dim: f.int('dim', base.dim, { min: 1 }),
    depth: f.int('depth', base.depth, { min: 1 }),
    heads: f.int('heads', base.heads, { min: 1 }),
    ffnDim: f.int('ffnDim', base.ffnDim, { min: 1 }),
    dropout: readProbability(f, 'dropout', base.dropout),
    attentionDropout: readProbability(f, 'attentionDropout', base.attentionDropout),
    pool: f.choice('pool', ['none', 'mean'] as const, base.pool),
    seed: f.int('seed', seed, { min: 0 }),
  };
  if (c.imageSize % c.patchSize !== 0) f.fail('patchSize', `must divide imageSize (${c.imageSize}), got ${c.patchSize}`);
  if (c.dim % c.heads !== 0) f.fail('heads', `must divide dim (${c.dim}), got ${c.heads}`);
  return c;
}

export const vitDefinition: EncoderDefinition<VitConfig> = {
  readConfig: readVitConfig,
  create: (config) => new VitEncoder(config),
};
