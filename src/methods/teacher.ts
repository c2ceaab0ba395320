import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Encoder } from '../models/encoder.ts';
import { loadCheckpoint, resolveCheckpoint } from '../train/checkpoint.ts';
import { ENCODER_PREFIX } from '../train/parameters.ts';
import { InputError, errorMessage } from '../util/errors.ts';
import type { JsonValue } from '../util/fields.ts';
import { freeze, type EncoderFactory } from './frozen-copy.ts';

/**
 * A frozen teacher encoder read from a trained checkpoint: the architecture from its model.json, the
 * `encoder.*` weights from weights.safetensors (the method heads it was trained with are left out). The
 * path may be a checkpoint folder, a run folder or its `checkpoints/` (the best checkpoint if one is
 * marked, else the latest), relative to `baseDir`. Every variable is non-trainable and the encoder is in
 * evaluation mode (no dropout).
 */
export interface LoadedTeacher {
  encoder: Encoder;
  /** The checkpoint folder actually read. */
  dir: string;
  step: number;
}

export function loadTeacher(path: string, baseDir: string, factory: EncoderFactory, field: string): LoadedTeacher {
  const full = isAbsolute(path) ? path : resolve(baseDir, path);
  if (!existsSync(full)) throw new InputError('teacher checkpoint not found (train the teacher first, or fix the path)', { file: full, field });
  const dir = resolveCheckpoint(full);
  const c = loadCheckpoint(dir);
  let encoder: Encoder;
  try {
    encoder = factory(c.model.encoder as Record<string, JsonValue>);
  } catch (e) {
    throw new InputError(`the teacher's encoder cannot be built: ${errorMessage(e)}`, { file: `${dir}/model.json`, field: 'encoder' });
  }
  try {
    for (const [name, v] of encoder.namedParameters()) {
      const a = c.weights.get(ENCODER_PREFIX + name);
      if (!a) throw new InputError(`tensor "${ENCODER_PREFIX}${name}" of the teacher's encoder is missing`, { file: `${dir}/weights.safetensors` });
      if (a.shape.join(',') !== v.shape.join(',')) throw new InputError(`tensor "${ENCODER_PREFIX}${name}" is [${a.shape}], the encoder expects [${v.shape}]`, { file: `${dir}/weights.safetensors` });
      tf.tidy(() => v.assign(tf.tensor(a.data, a.shape, 'float32')));
    }
  } catch (e) {
    encoder.dispose();
    throw e;
  }
  freeze(encoder);
  return { encoder, dir, step: c.model.step };
}
