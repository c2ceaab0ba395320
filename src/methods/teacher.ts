import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Encoder } from '../models/encoder.ts';
import { loadTrainedEncoder } from '../checkpoint/trained-encoder.ts';
import { InputError } from '../util/errors.ts';
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
  const { encoder, dir, step } = loadTrainedEncoder(full, factory);
  freeze(encoder);
  return { encoder, dir, step };
}
