import * as tf from '@tensorflow/tfjs-core';
import type { Encoder } from '../models/encoder.ts';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, errorMessage } from '../util/errors.ts';
import { resolveCheckpoint, type ModelJson } from '../checkpoint/checkpoint.ts';
import type { JsonValue } from '../util/fields.ts';
import { loadTrainedEncoder } from '../checkpoint/trained-encoder.ts';

/**
 * `train --init-from RUN`: the run's encoder starts from the encoder of another run folder or checkpoint
 * (a trained run, or an imported HuBERT / wav2vec 2.0 / DistilHuBERT) instead of its seeded initial values.
 * The run's encoder must have the same parameters with the same shapes (a run config without `encoder`
 * takes RUN's, see `initEncoderConfig`); dropout and the like may differ. Methods are created after this, so
 * an EMA target (BYOL) or a copy for a student starts from these weights too.
 */
export interface InitFromResult {
  dir: string;
  step: number;
  tensors: number;
}

/** The encoder config of RUN's model.json, for a run config that leaves `encoder` out. */
export function initEncoderConfig(path: string): Record<string, JsonValue> {
  if (!existsSync(path)) throw new InputError('no such checkpoint or run folder', { file: path, field: '--init-from' });
  const file = join(resolveCheckpoint(path), 'model.json');
  let model: ModelJson;
  try {
    model = JSON.parse(readFileSync(file, 'utf8')) as ModelJson;
  } catch (e) {
    throw new InputError(`unreadable: ${errorMessage(e)}`, { file });
  }
  if (typeof model.encoder !== 'object' || model.encoder === null || typeof model.encoder.kind !== 'string') throw new InputError('no encoder config (expected "encoder" with its "kind")', { file });
  return model.encoder;
}

export function initEncoderFrom(encoder: Encoder, path: string): InitFromResult {
  const from = loadTrainedEncoder(path);
  try {
    const src = from.encoder.namedParameters();
    const dst = encoder.namedParameters();
    const missing = [...dst.keys()].filter((n) => !src.has(n));
    const extra = [...src.keys()].filter((n) => !dst.has(n));
    if (missing.length || extra.length) {
      const list = (xs: string[]) => xs.slice(0, 8).join(', ') + (xs.length > 8 ? ` and ${xs.length - 8} more` : '');
      throw new InputError(
        `the run's ${encoder.kind} encoder and this one differ in their parameters` +
          (missing.length ? `; not in ${from.dir}: ${list(missing)}` : '') +
          (extra.length ? `; only in ${from.dir}: ${list(extra)}` : '') +
          ' (leave `encoder` out of the run config to take its architecture)',
        { field: '--init-from' },
      );
    }
    for (const [name, v] of dst) {
      const s = src.get(name)!;
      if (s.shape.join(',') !== v.shape.join(',')) throw new InputError(`parameter "${name}" is [${s.shape}] in ${from.dir}, the run's encoder has [${v.shape}]`, { field: '--init-from' });
      tf.tidy(() => v.assign(s));
    }
    return { dir: from.dir, step: from.step, tensors: dst.size };
  } finally {
    from.encoder.dispose();
  }
}
