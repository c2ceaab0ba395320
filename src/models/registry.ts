import { Fields } from '../util/fields.ts';
import { Rng } from '../util/rng.ts';
import type { Encoder } from './encoder.ts';
import type { EncoderDefinition } from './encoder-definition.ts';
import { audioTransformerDefinition } from './audio-transformer.ts';
import { cpcDefinition } from './cpc.ts';
import { resnetDefinition } from './resnet.ts';
import { vitDefinition } from './vit.ts';

/**
 * Encoder kind -> definition. Adding an encoder is one file exporting an `EncoderDefinition` and one
 * line here. A JSON config `{"kind": "audio-transformer", "preset": "tiny", "layers": 6}` starts from
 * the preset (or the kind's defaults) and overrides fields; every field is checked, an error names the
 * file (when given), the field path and what was expected, and unknown fields are errors, so a typo
 * cannot silently fall back to a default.
 */
export const ENCODERS = {
  'audio-transformer': audioTransformerDefinition,
  cpc: cpcDefinition,
  resnet: resnetDefinition,
  vit: vitDefinition,
} as const;

type Definitions = typeof ENCODERS;
export type EncoderKind = keyof Definitions;
export type EncoderConfig = { [K in EncoderKind]: Definitions[K] extends EncoderDefinition<infer C> ? C : never }[EncoderKind];
export const ENCODER_KINDS = Object.keys(ENCODERS) as EncoderKind[];

export interface BuildOptions {
  /** Seed of the initial weights (ignored when `rng` is given). */
  seed?: number;
  rng?: Rng;
  /** The config file, for error messages. */
  file?: string;
  /** Path of the config inside its file, for error messages (e.g. `model.encoder`). */
  field?: string;
}

/**
 * Validates a raw (parsed JSON/YAML) encoder config and fills in its defaults. `seed` becomes the `seed`
 * field of an image encoder's config when the raw config has none (the resolved config is what
 * checkpoints store, so a rebuilt encoder has the same initial weights).
 */
export function resolveEncoderConfig(raw: unknown, opts: Pick<BuildOptions, 'file' | 'field' | 'seed'> = {}): EncoderConfig {
  const f = new Fields(raw, opts.field ?? '', opts.file);
  if (!f.has('kind')) f.fail('kind', `expected one of ${ENCODER_KINDS.join('|')}, got nothing`);
  const kind = f.choice('kind', ENCODER_KINDS, ENCODER_KINDS[0]);
  const definition = ENCODERS[kind] as EncoderDefinition<EncoderConfig>;
  const config = definition.readConfig(f, opts.seed ?? 0);
  f.done(['kind']);
  return config;
}

/** Builds an encoder from a raw or resolved config, with seeded initial weights. */
export function buildEncoder(raw: unknown, opts: BuildOptions = {}): Encoder {
  const config = resolveEncoderConfig(raw, opts);
  const definition = ENCODERS[config.kind] as EncoderDefinition<EncoderConfig>;
  return definition.create(config, opts.rng ?? new Rng(opts.seed ?? 0));
}
