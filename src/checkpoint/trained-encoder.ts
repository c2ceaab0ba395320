import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Encoder } from '../models/encoder.ts';
import { buildEncoder } from '../models/registry.ts';
import { InputError, errorMessage } from '../util/errors.ts';
import type { JsonValue } from '../util/fields.ts';
import { CHECKPOINT_FORMAT, ENCODER_PREFIX, resolveCheckpoint, type ModelJson } from './checkpoint.ts';
import { readSafetensors } from './safetensors.ts';

/**
 * A trained encoder read back from a checkpoint for inference (export, feature extraction): the
 * architecture rebuilt from model.json through the encoder registry, the `encoder.*` weights assigned,
 * eval mode. Only model.json, weights.safetensors and trainer.json are read (not the optimiser state).
 */
export interface TrainedEncoder {
  encoder: Encoder;
  /** The checkpoint folder used (a run folder resolves to its best or latest). */
  dir: string;
  step: number;
  model: ModelJson;
  /** The run config stored with the checkpoint (trainer.json `config`), when present. */
  runConfig?: Record<string, JsonValue>;
}

function readJson(file: string): Record<string, JsonValue> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, JsonValue>;
  } catch (e) {
    throw new InputError(`unreadable: ${errorMessage(e)}`, { file });
  }
}

/** `build` rebuilds the architecture from model.json's `encoder` (default: the encoder registry). */
export function loadTrainedEncoder(path: string, build?: (config: Record<string, JsonValue>) => Encoder): TrainedEncoder {
  if (!existsSync(path)) throw new InputError('no such checkpoint or run folder', { file: path });
  const dir = resolveCheckpoint(path);
  for (const f of ['model.json', 'weights.safetensors']) if (!existsSync(join(dir, f))) throw new InputError(`incomplete checkpoint: ${f} is missing`, { file: dir });
  const modelFile = join(dir, 'model.json');
  const model = readJson(modelFile) as unknown as ModelJson;
  if (model.format !== CHECKPOINT_FORMAT) throw new InputError(`not a speech-ssl checkpoint (format "${String(model.format)}")`, { file: modelFile });
  let encoder: Encoder;
  try {
    encoder = build ? build(model.encoder) : buildEncoder(model.encoder, { file: modelFile, field: 'encoder' });
  } catch (e) {
    throw e instanceof InputError ? e : new InputError(`the encoder cannot be built: ${errorMessage(e)}`, { file: modelFile, field: 'encoder' });
  }
  const weightsFile = join(dir, 'weights.safetensors');
  const weights = readSafetensors(weightsFile).tensors;
  try {
    for (const [name, v] of encoder.namedParameters()) {
      const a = weights.get(ENCODER_PREFIX + name);
      if (!a) throw new InputError(`tensor "${ENCODER_PREFIX}${name}" of the ${encoder.kind} encoder is missing`, { file: weightsFile });
      if (a.shape.join(',') !== v.shape.join(',')) throw new InputError(`tensor "${ENCODER_PREFIX}${name}" has shape [${a.shape}], the encoder expects [${v.shape}]`, { file: weightsFile });
      tf.tidy(() => v.assign(tf.tensor(a.data, a.shape, 'float32')));
    }
  } catch (e) {
    encoder.dispose();
    throw e;
  }
  const trainerFile = join(dir, 'trainer.json');
  const trainer = existsSync(trainerFile) ? readJson(trainerFile) : undefined;
  const runConfig = trainer && typeof trainer.config === 'object' && trainer.config !== null && !Array.isArray(trainer.config) ? (trainer.config as Record<string, JsonValue>) : undefined;
  return { encoder: encoder.eval(), dir, step: model.step, model, runConfig };
}
