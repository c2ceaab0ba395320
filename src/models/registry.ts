import { InputError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { AUDIO_TRANSFORMER_PRESETS, type AudioTransformerConfig } from './audio-transformer-config.ts';
import { AudioTransformerEncoder } from './audio-transformer.ts';
import { CPC_DEFAULTS, CpcEncoder, type CpcConfig } from './cpc.ts';
import type { ConvLayerSpec } from './conv-stack.ts';
import type { Encoder } from './encoder.ts';
import { RESNET_DEFAULTS, RESNET_DIGITS, ResNetEncoder, type ResNetConfig } from './resnet.ts';
import { VIT_DEFAULTS, VIT_DIGITS, VIT_TINY, VitEncoder, type VitConfig } from './vit.ts';

/**
 * Builds an encoder from a JSON config: `{"kind": "audio-transformer", "preset": "tiny", "layers": 6}`
 * starts from the preset (or the kind's defaults) and overrides fields. Every field is checked; an
 * error names the file (when given), the field path and what was expected. Unknown fields are errors,
 * so a typo cannot silently fall back to a default.
 */
export type EncoderConfig = AudioTransformerConfig | CpcConfig | ResNetConfig | VitConfig;
export const ENCODER_KINDS = ['audio-transformer', 'cpc', 'resnet', 'vit'] as const;

/**
 * Image encoder presets. resnet: `cifar` (32x32x3, three stages 32/64/128, 16 tokens of 128) and `digits`
 * (8x8x1, two stages). vit: `cifar` (32x32x3, 64 patches of 4x4, 128 wide, 4 blocks: minutes on a CPU),
 * `tiny` (DeiT-Ti's 192 wide, 12 blocks, 3 heads on the same patches) and `digits` (8x8x1, 16 patches of 2x2).
 */
export const RESNET_PRESETS: Readonly<Record<'cifar' | 'digits', ResNetConfig>> = {
  cifar: RESNET_DEFAULTS,
  digits: { ...RESNET_DEFAULTS, ...RESNET_DIGITS },
};
export const VIT_PRESETS: Readonly<Record<'cifar' | 'tiny' | 'digits', VitConfig>> = {
  cifar: VIT_DEFAULTS,
  tiny: { ...VIT_DEFAULTS, ...VIT_TINY },
  digits: { ...VIT_DEFAULTS, ...VIT_DIGITS },
};

export interface BuildOptions {
  /** Seed of the initial weights (ignored when `rng` is given). */
  seed?: number;
  rng?: Rng;
  /** The config file, for error messages. */
  file?: string;
  /** Path of the config inside its file, for error messages (e.g. `model.encoder`). */
  field?: string;
}

type Json = Record<string, unknown>;

class Checker {
  constructor(private readonly file: string | undefined, private readonly prefix: string) {}

  fail(field: string, what: string): never {
    const path = [this.prefix, field].filter(Boolean).join('.');
    throw new InputError(what, { file: this.file, field: path || undefined });
  }

  int(v: unknown, field: string, min = 1): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) this.fail(field, `expected an integer >= ${min}, got ${JSON.stringify(v)}`);
    return v;
  }

  prob(v: unknown, field: string): number {
    if (typeof v !== 'number' || !(v >= 0 && v < 1)) this.fail(field, `expected a probability in [0, 1), got ${JSON.stringify(v)}`);
    return v;
  }

  bool(v: unknown, field: string): boolean {
    if (typeof v !== 'boolean') this.fail(field, `expected true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  oneOf<T extends string>(v: unknown, field: string, options: readonly T[]): T {
    if (typeof v !== 'string' || !options.includes(v as T)) this.fail(field, `expected one of ${options.map((o) => `"${o}"`).join(', ')}, got ${JSON.stringify(v)}`);
    return v as T;
  }

  intList(v: unknown, field: string, min = 1): number[] {
    if (!Array.isArray(v) || v.length === 0) this.fail(field, `expected a non-empty list of integers >= ${min}, got ${JSON.stringify(v)}`);
    return v.map((x, i) => this.int(x, `${field}.${i}`, min));
  }

  object(v: unknown, field: string): Json {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(field, `expected an object, got ${JSON.stringify(v)}`);
    return v as Json;
  }

  known(obj: Json, allowed: readonly string[], where: string): void {
    for (const k of Object.keys(obj)) if (!allowed.includes(k)) this.fail(where ? `${where}.${k}` : k, `unknown field (known: ${allowed.join(', ')})`);
  }

  convLayers(v: unknown, field: string): ConvLayerSpec[] {
    if (!Array.isArray(v) || v.length === 0) this.fail(field, `expected a non-empty array of {channels, kernel, stride[, padding]}, got ${JSON.stringify(v)}`);
    return v.map((item, i) => {
      const f = `${field}.${i}`;
      const o = this.object(item, f);
      this.known(o, ['channels', 'kernel', 'stride', 'padding'], f);
      const spec: ConvLayerSpec = { channels: this.int(o.channels, `${f}.channels`), kernel: this.int(o.kernel, `${f}.kernel`), stride: this.int(o.stride, `${f}.stride`) };
      if (o.padding !== undefined) spec.padding = this.int(o.padding, `${f}.padding`, 0);
      return spec;
    });
  }
}

function audioTransformerConfig(raw: Json, ck: Checker): AudioTransformerConfig {
  const preset = raw.preset === undefined ? 'tiny' : ck.oneOf(raw.preset, 'preset', Object.keys(AUDIO_TRANSFORMER_PRESETS) as ('tiny' | 'small' | 'base')[]);
  const base = AUDIO_TRANSFORMER_PRESETS[preset];
  const fields = ['kind', 'preset', 'convBias', 'lastHiddenIsOutput', ...Object.keys(base)];
  ck.known(raw, fields, '');
  const v = { ...base, ...raw } as Json;
  const c: AudioTransformerConfig = {
    kind: 'audio-transformer',
    frontend: ck.oneOf(v.frontend, 'frontend', ['logmel', 'waveform', 'linear'] as const),
    inputDim: ck.int(v.inputDim, 'inputDim'),
    convLayers: ck.convLayers(v.convLayers, 'convLayers'),
    convNorm: ck.oneOf(v.convNorm, 'convNorm', ['group0', 'layer', 'none'] as const),
    featureNorm: ck.bool(v.featureNorm, 'featureNorm'),
    dim: ck.int(v.dim, 'dim'),
    layers: ck.int(v.layers, 'layers', 0),
    heads: ck.int(v.heads, 'heads'),
    ffnDim: ck.int(v.ffnDim, 'ffnDim'),
    normFirst: ck.bool(v.normFirst, 'normFirst'),
    dropout: ck.prob(v.dropout, 'dropout'),
    attentionDropout: ck.prob(v.attentionDropout, 'attentionDropout'),
    activationDropout: ck.prob(v.activationDropout, 'activationDropout'),
    inputDropout: ck.prob(v.inputDropout, 'inputDropout'),
    posConv: null,
  };
  if (v.convBias !== undefined) c.convBias = ck.bool(v.convBias, 'convBias');
  if (v.lastHiddenIsOutput !== undefined) c.lastHiddenIsOutput = ck.bool(v.lastHiddenIsOutput, 'lastHiddenIsOutput');
  if (c.dim % c.heads !== 0) ck.fail('heads', `must divide dim (${c.dim}), got ${c.heads}`);
  if (v.posConv !== null) {
    const p = ck.object(v.posConv, 'posConv');
    ck.known(p, ['kernelSize', 'groups', 'weightNorm'], 'posConv');
    const pb = base.posConv ?? { kernelSize: 128, groups: 16, weightNorm: true };
    c.posConv = {
      kernelSize: ck.int(p.kernelSize ?? pb.kernelSize, 'posConv.kernelSize'),
      groups: ck.int(p.groups ?? pb.groups, 'posConv.groups'),
      weightNorm: ck.bool(p.weightNorm ?? pb.weightNorm, 'posConv.weightNorm'),
    };
    if (c.dim % c.posConv.groups !== 0) ck.fail('posConv.groups', `must divide dim (${c.dim}), got ${c.posConv.groups}`);
  }
  return c;
}

function cpcConfig(raw: Json, ck: Checker): CpcConfig {
  ck.known(raw, Object.keys(CPC_DEFAULTS), '');
  const v = { ...CPC_DEFAULTS, ...raw } as Json;
  return {
    kind: 'cpc',
    frontend: ck.oneOf(v.frontend, 'frontend', ['waveform', 'logmel', 'linear'] as const),
    inputDim: ck.int(v.inputDim, 'inputDim'),
    convLayers: ck.convLayers(v.convLayers, 'convLayers'),
    convNorm: ck.oneOf(v.convNorm, 'convNorm', ['group0', 'layer', 'none'] as const),
    convActivation: ck.oneOf(v.convActivation, 'convActivation', ['gelu', 'relu', 'tanh', 'identity'] as const),
    featureDim: ck.int(v.featureDim, 'featureDim'),
    dim: ck.int(v.dim, 'dim'),
    layers: ck.int(v.layers, 'layers'),
    rnn: ck.oneOf(v.rnn, 'rnn', ['gru', 'lstm'] as const),
  };
}

/** The image encoders carry their weight seed in the config: the config's `seed`, else the build's. */
function imageSeed(v: Json, ck: Checker, seed: number): number {
  return v.seed === undefined ? seed : ck.int(v.seed, 'seed', 0);
}

function resnetConfig(raw: Json, ck: Checker, seed: number): ResNetConfig {
  const preset = raw.preset === undefined ? 'cifar' : ck.oneOf(raw.preset, 'preset', Object.keys(RESNET_PRESETS) as ('cifar' | 'digits')[]);
  const base = RESNET_PRESETS[preset];
  ck.known(raw, ['preset', ...Object.keys(base)], '');
  const v = { ...base, ...raw } as Json;
  const c: ResNetConfig = {
    kind: 'resnet',
    inChannels: ck.int(v.inChannels, 'inChannels'),
    stemWidth: ck.int(v.stemWidth, 'stemWidth'),
    widths: ck.intList(v.widths, 'widths'),
    blocks: ck.intList(v.blocks, 'blocks'),
    strides: ck.intList(v.strides, 'strides'),
    groups: ck.int(v.groups, 'groups'),
    pool: ck.oneOf(v.pool, 'pool', ['none', 'mean'] as const),
    seed: imageSeed(raw, ck, seed),
  };
  if (c.blocks.length !== c.widths.length) ck.fail('blocks', `needs one entry per stage (widths has ${c.widths.length}), got ${c.blocks.length}`);
  if (c.strides.length !== c.widths.length) ck.fail('strides', `needs one entry per stage (widths has ${c.widths.length}), got ${c.strides.length}`);
  return c;
}

function vitConfig(raw: Json, ck: Checker, seed: number): VitConfig {
  const preset = raw.preset === undefined ? 'cifar' : ck.oneOf(raw.preset, 'preset', Object.keys(VIT_PRESETS) as ('cifar' | 'tiny' | 'digits')[]);
  const base = VIT_PRESETS[preset];
  ck.known(raw, ['preset', ...Object.keys(base)], '');
  const v = { ...base, ...raw } as Json;
  const c: VitConfig = {
    kind: 'vit',
    imageSize: ck.int(v.imageSize, 'imageSize'),
    inChannels: ck.int(v.inChannels, 'inChannels'),
    patchSize: ck.int(v.patchSize, 'patchSize'),
    dim: ck.int(v.dim, 'dim'),
    depth: ck.int(v.depth, 'depth'),
    heads: ck.int(v.heads, 'heads'),
    ffnDim: ck.int(v.ffnDim, 'ffnDim'),
    dropout: ck.prob(v.dropout, 'dropout'),
    attentionDropout: ck.prob(v.attentionDropout, 'attentionDropout'),
    pool: ck.oneOf(v.pool, 'pool', ['none', 'mean'] as const),
    seed: imageSeed(raw, ck, seed),
  };
  if (c.imageSize % c.patchSize !== 0) ck.fail('patchSize', `must divide imageSize (${c.imageSize}), got ${c.patchSize}`);
  if (c.dim % c.heads !== 0) ck.fail('heads', `must divide dim (${c.dim}), got ${c.heads}`);
  return c;
}

/**
 * Validates a raw (parsed JSON/YAML) encoder config and fills in its defaults. `seed` becomes the `seed`
 * field of an image encoder's config when the raw config has none (the resolved config is what
 * checkpoints store, so a rebuilt encoder has the same initial weights).
 */
export function resolveEncoderConfig(raw: unknown, opts: Pick<BuildOptions, 'file' | 'field' | 'seed'> = {}): EncoderConfig {
  const ck = new Checker(opts.file, opts.field ?? '');
  const obj = ck.object(raw, '');
  const kind = ck.oneOf(obj.kind, 'kind', ENCODER_KINDS);
  const { kind: _, ...rest } = obj;
  switch (kind) {
    case 'audio-transformer':
      return audioTransformerConfig(obj, ck);
    case 'cpc':
      return cpcConfig(obj, ck);
    case 'resnet':
      return resnetConfig(rest, ck, opts.seed ?? 0);
    case 'vit':
      return vitConfig(rest, ck, opts.seed ?? 0);
  }
}

/** Builds an encoder from a raw or resolved config, with seeded initial weights. */
export function buildEncoder(raw: unknown, opts: BuildOptions = {}): Encoder {
  const config = resolveEncoderConfig(raw, opts);
  switch (config.kind) {
    case 'audio-transformer':
      return new AudioTransformerEncoder(config, opts.rng ?? new Rng(opts.seed ?? 0));
    case 'cpc':
      return new CpcEncoder(config, opts.rng ?? new Rng(opts.seed ?? 0));
    case 'resnet':
      return new ResNetEncoder(config);
    case 'vit':
      return new VitEncoder(config);
  }
}
