import { InputError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { AUDIO_TRANSFORMER_PRESETS, type AudioTransformerConfig } from './audio-transformer-config.ts';
import { AudioTransformerEncoder } from './audio-transformer.ts';
import { CPC_DEFAULTS, CpcEncoder, type CpcConfig } from './cpc.ts';
import type { ConvLayerSpec } from './conv-stack.ts';
import type { Encoder } from './encoder.ts';

/**
 * Builds an encoder from a JSON config: `{"kind": "audio-transformer", "preset": "tiny", "layers": 6}`
 * starts from the preset (or the kind's defaults) and overrides fields. Every field is checked; an
 * error names the file (when given), the field path and what was expected. Unknown fields are errors,
 * so a typo cannot silently fall back to a default.
 */
export type EncoderConfig = AudioTransformerConfig | CpcConfig;
export const ENCODER_KINDS = ['audio-transformer', 'cpc'] as const;

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
  const fields = ['kind', 'preset', ...Object.keys(base)];
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

/** Validates a raw (parsed JSON/YAML) encoder config and fills in its defaults. */
export function resolveEncoderConfig(raw: unknown, opts: Pick<BuildOptions, 'file' | 'field'> = {}): EncoderConfig {
  const ck = new Checker(opts.file, opts.field ?? '');
  const obj = ck.object(raw, '');
  const kind = ck.oneOf(obj.kind, 'kind', ENCODER_KINDS);
  return kind === 'audio-transformer' ? audioTransformerConfig(obj, ck) : cpcConfig(obj, ck);
}

/** Builds an encoder from a raw or resolved config, with seeded initial weights. */
export function buildEncoder(raw: unknown, opts: BuildOptions = {}): Encoder {
  const config = resolveEncoderConfig(raw, opts);
  const rng = opts.rng ?? new Rng(opts.seed ?? 0);
  return config.kind === 'audio-transformer' ? new AudioTransformerEncoder(config, rng) : new CpcEncoder(config, rng);
}
