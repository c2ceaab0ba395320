import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../nn/module.ts';
import { ModuleList } from '../nn/module-list.ts';
import { Conv2d } from '../nn/conv2d.ts';
import { GroupNorm } from '../nn/group-norm.ts';
import { Rng } from '../util/rng.ts';
import type { Encoder, EncoderForwardOptions, EncoderInput, EncoderOutput, LocalFeatures } from './encoder.ts';
import { checkImageInput, type ImageTokens } from './image-input.ts';
import type { Fields } from '../util/fields.ts';
import { readIntList, readPreset, type EncoderDefinition } from './encoder-definition.ts';

/**
 * A small ResNet (He et al. 2016, "basic" blocks) for 32x32 images and the 8x8 digits.
 *
 *   stem:   conv3x3 (stride 1) -> GN -> ReLU
 *   stage s (width w_s, first block strided by stride_s), each block:
 *           y = ReLU(GN(conv3x3(x, stride))) ; y = GN(conv3x3(y))
 *           out = ReLU(y + shortcut(x)),  shortcut = GN(conv1x1(x, stride)) when the shape changes, else x
 *
 * Normalisation is group norm (Wu & He 2018) over each image's positions and a group of channels, not
 * batch norm: it has no running statistics, so training and evaluation compute the same function, the
 * result does not depend on the batch, and a step is deterministic. Convolutions before a norm have no
 * bias (the norm's shift replaces it).
 *
 * Encoder contract: the input is NHWC [B, H, W, C]; `features` is the whole convolutional trunk, whose
 * final map [B, h, w, D] is read as h*w tokens [B, h*w, D] in row-major order (a 32x32 image with the
 * defaults gives 4x4 = 16 tokens of 128). With `pool: 'mean'` the tokens are averaged to T = 1. There are
 * no context layers (`numLayers` 0): `context` returns the features as the output and as `hidden[0]`.
 * Frame masking has no meaning for a convolutional trunk and is refused.
 *
 * Parameter names: `stem.conv`, `stem.norm`, `stages.{s}.{b}.conv1|norm1|conv2|norm2|shortcut|shortcut_norm`.
 */
export interface ResNetConfig {
  kind: 'resnet';
  inChannels: number;
  stemWidth: number;
  /** Output width of each stage. */
  widths: number[];
  /** Blocks per stage. */
  blocks: number[];
  /** Stride of each stage's first block. */
  strides: number[];
  /** Channels per group of every group norm is width / groups (clamped so that it divides). */
  groups: number;
  /** `none`: [B, h*w, D] tokens; `mean`: [B, 1, D]. */
  pool: 'none' | 'mean';
  /** Seed of the initial weights. */
  seed: number;
}

export const RESNET_DEFAULTS: ResNetConfig = {
  kind: 'resnet',
  inChannels: 3,
  stemWidth: 32,
  widths: [32, 64, 128],
  blocks: [1, 1, 1],
  strides: [2, 2, 2],
  groups: 8,
  pool: 'none',
  seed: 0,
};

/** The digits (8x8x1): one stride-2 stage fewer so that 2x2 positions remain. */
export const RESNET_DIGITS: Partial<ResNetConfig> = { inChannels: 1, stemWidth: 16, widths: [32, 64], blocks: [1, 1], strides: [2, 2] };

/** Number of groups for `channels` channels: the largest divisor of `channels` not above `groups`. */
export function groupsFor(channels: number, groups: number): number {
  let g = Math.max(1, Math.min(groups, channels));
  while (channels % g) g--;
  return g;
}

/** Group norm of an NHWC map: GroupNorm on the [B, H*W, C] view (statistics per image over positions and a group of channels). */
export function groupNorm2d(norm: GroupNorm, x: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  return tf.tidy(() => tf.reshape(norm.forward(tf.reshape(x, [b, h * w, c]) as tf.Tensor3D), [b, h, w, c]) as tf.Tensor4D);
}

/** conv3x3 with padding 1 (or conv1x1 without), no bias. Output side ceil(n / stride). */
function conv(cin: number, cout: number, k: 1 | 3, stride: number, rng: Rng): Conv2d {
  return new Conv2d(cin, cout, k, { stride, padding: k === 3 ? 1 : 0, bias: false, init: { normalStd: Math.sqrt(2 / (k * k * cout)) }, rng });
}

export class BasicBlock extends Module {
  readonly conv1: Conv2d;
  readonly norm1: GroupNorm;
  readonly conv2: Conv2d;
  readonly norm2: GroupNorm;
  readonly shortcut: Conv2d | null;
  readonly shortcutNorm: GroupNorm | null;

  constructor(readonly inChannels: number, readonly outChannels: number, readonly stride: number, groups: number, rng: Rng) {
    super();
    this.conv1 = this.child('conv1', conv(inChannels, outChannels, 3, stride, rng));
    this.norm1 = this.child('norm1', new GroupNorm(groupsFor(outChannels, groups), outChannels));
    this.conv2 = this.child('conv2', conv(outChannels, outChannels, 3, 1, rng));
    this.norm2 = this.child('norm2', new GroupNorm(groupsFor(outChannels, groups), outChannels));
    const project = stride !== 1 || inChannels !== outChannels;
    this.shortcut = project ? this.child('shortcut', conv(inChannels, outChannels, 1, stride, rng)) : null;
    this.shortcutNorm = project ? this.child('shortcut_norm', new GroupNorm(groupsFor(outChannels, groups), outChannels)) : null;
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const y = tf.relu(groupNorm2d(this.norm1, this.conv1.forward(x))) as tf.Tensor4D;
      const z = groupNorm2d(this.norm2, this.conv2.forward(y));
      const skip = this.shortcut && this.shortcutNorm ? groupNorm2d(this.shortcutNorm, this.shortcut.forward(x)) : x;
      return tf.relu(tf.add(z, skip)) as tf.Tensor4D;
    });
  }
}

class Stem extends Module {
  readonly conv: Conv2d;
  readonly norm: GroupNorm;
  constructor(cin: number, width: number, groups: number, rng: Rng) {
    super();
    this.conv = this.child('conv', conv(cin, width, 3, 1, rng));
    this.norm = this.child('norm', new GroupNorm(groupsFor(width, groups), width));
  }
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => tf.relu(groupNorm2d(this.norm, this.conv.forward(x))) as tf.Tensor4D);
  }
}

export function validateResNetConfig(c: ResNetConfig): void {
  const positive = (name: string, v: number) => {
    if (!(Number.isInteger(v) && v >= 1)) throw new Error(`resnet: ${name} must be a positive integer, got ${v}`);
  };
  positive('inChannels', c.inChannels);
  positive('stemWidth', c.stemWidth);
  positive('groups', c.groups);
  if (c.widths.length === 0) throw new Error('resnet: widths must list at least one stage');
  if (c.blocks.length !== c.widths.length || c.strides.length !== c.widths.length) {
    throw new Error(`resnet: widths, blocks and strides need one entry per stage (got ${c.widths.length}, ${c.blocks.length}, ${c.strides.length})`);
  }
  c.widths.forEach((w, i) => positive(`widths[${i}]`, w));
  c.blocks.forEach((b, i) => positive(`blocks[${i}]`, b));
  c.strides.forEach((s, i) => positive(`strides[${i}]`, s));
  if (c.pool !== 'none' && c.pool !== 'mean') throw new Error(`resnet: pool must be "none" or "mean", got "${String(c.pool)}"`);
}

export class ResNetEncoder extends Module implements Encoder {
  readonly kind = 'resnet';
  readonly config: ResNetConfig;
  readonly outputDim: number;

  get input(): EncoderInput {
    return { kind: 'image', channels: this.config.inChannels };
  }
  readonly numLayers = 0;
  readonly stem: Stem;
  readonly blocks: BasicBlock[] = [];

  constructor(config: Partial<ResNetConfig> = {}) {
    super();
    const c: ResNetConfig = { ...RESNET_DEFAULTS, ...config, kind: 'resnet' };
    validateResNetConfig(c);
    this.config = c;
    const rng = new Rng(c.seed);
    this.stem = this.child('stem', new Stem(c.inChannels, c.stemWidth, c.groups, rng.fork()));
    const stages = this.child('stages', new ModuleList());
    let cin = c.stemWidth;
    c.widths.forEach((w, s) => {
      const stage = stages.add(new ModuleList());
      for (let b = 0; b < c.blocks[s]; b++) {
        this.blocks.push(stage.add(new BasicBlock(cin, w, b === 0 ? c.strides[s] : 1, c.groups, rng.fork())));
        cin = w;
      }
    });
    this.outputDim = cin;
  }

  /** Side of the final map for an input side of `n` pixels. */
  private side(n: number): number {
    return this.config.strides.reduce((m, s) => Math.ceil(m / s), n);
  }

  /** Tokens out for a square image of side `inputLength`. */
  outputLength(inputLength: number): number {
    return this.config.pool === 'mean' ? 1 : this.side(inputLength) ** 2;
  }

  /** Tokens out for an H x W image. */
  tokenGrid(height: number, width: number): ImageTokens {
    return this.config.pool === 'mean' ? { rows: 1, cols: 1 } : { rows: this.side(height), cols: this.side(width) };
  }

  features(x: tf.Tensor, opts: EncoderForwardOptions = {}): LocalFeatures {
    const img = checkImageInput('resnet', x, this.config.inChannels, opts);
    return {
      features: tf.tidy(() => {
        let h = this.stem.forward(img);
        for (const block of this.blocks) h = block.forward(h);
        const [b, rows, cols, d] = h.shape;
        const tokens = tf.reshape(h, [b, rows * cols, d]) as tf.Tensor3D;
        return this.config.pool === 'mean' ? (tf.mean(tokens, 1, true) as tf.Tensor3D) : tokens;
      }),
    };
  }

  context(local: LocalFeatures, opts: EncoderForwardOptions = {}): EncoderOutput {
    if (opts.frameMask) throw new Error('resnet: frame masking is not supported (a convolutional trunk has no mask token; use the vit encoder)');
    return { features: local.features, output: local.features, hidden: [local.features] };
  }

  forward(x: tf.Tensor, opts: EncoderForwardOptions = {}): EncoderOutput {
    return this.context(this.features(x, opts), opts);
  }
}

/** Presets: `cifar` (32x32x3, three stages 32/64/128, 16 tokens of 128) and `digits` (8x8x1, two stages). */
export const RESNET_PRESETS: Readonly<Record<'cifar' | 'digits', ResNetConfig>> = {
  cifar: RESNET_DEFAULTS,
  digits: { ...RESNET_DEFAULTS, ...RESNET_DIGITS },
};

/** A preset (`cifar` when absent) with fields overridden; the weight seed is the config's, else the build's. */
export function readResNetConfig(f: Fields, seed: number): ResNetConfig {
  const base = readPreset(f, RESNET_PRESETS);
  const c: ResNetConfig = {
    kind: 'resnet',
    inChannels: f.int('inChannels', base.inChannels, { min: 1 }),
    stemWidth: f.int('stemWidth', base.stemWidth, { min: 1 }),
    widths: readIntList(f, 'widths', base.widths),
    blocks: readIntList(f, 'blocks', base.blocks),
    strides: readIntList(f, 'strides', base.strides),
    groups: f.int('groups', base.groups, { min: 1 }),
    pool: f.choice('pool', ['none', 'mean'] as const, base.pool),
    seed: f.int('seed', seed, { min: 0 }),
  };
  if (c.blocks.length !== c.widths.length) f.fail('blocks', `needs one entry per stage (widths has ${c.widths.length}), got ${c.blocks.length}`);
  if (c.strides.length !== c.widths.length) f.fail('strides', `needs one entry per stage (widths has ${c.widths.length}), got ${c.strides.length}`);
  return c;
}

export const resnetDefinition: EncoderDefinition<ResNetConfig> = {
  readConfig: readResNetConfig,
  create: (config) => new ResNetEncoder(config),
};
