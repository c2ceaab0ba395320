import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AudioTransformerEncoder } from '../../models/audio-transformer.ts';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, ENCODER_PREFIX, checkpointName, type ModelJson, type TrainerJson } from '../checkpoint.ts';
import { writeSafetensors } from '../safetensors.ts';
import { writeSafetensorsStreamed } from '../safetensors-stream.ts';
import { FEATURE_CONFIG_FILE } from '../feature-config.ts';
import { writeDirAtomic } from '../../util/atomic.ts';
import { InputError } from '../../util/errors.ts';
import type { JsonValue } from '../../util/fields.ts';
import type { ImportPlan } from './import-plan.ts';

/** The waveform rate of every imported model (HuBERT, wav2vec 2.0 and DistilHuBERT take 16 kHz). */
export const IMPORTED_SAMPLE_RATE = 16000;
/** What the run folder records about the import (source file, format, dropped heads). */
export const IMPORT_RECORD_FILE = 'import.json';

/**
 * The feature configuration of a waveform encoder's run: `{"features": "waveform", "sampleRate": 16000,
 * "normalize": true, "normalizeEps": 1e-7}`. `normalize` is the per-utterance normalisation the model was
 * trained with ((x - mean) / sqrt(var + eps) over each utterance), applied by `extract` before the encoder.
 */
export function waveformFeatureConfig(plan: Pick<ImportPlan, 'normalize'>): Record<string, JsonValue> {
  return { features: 'waveform', sampleRate: IMPORTED_SAMPLE_RATE, normalize: plan.normalize !== null, ...(plan.normalize ? { normalizeEps: plan.normalize.eps } : {}) };
}

/**
 * Writes an imported encoder as a run folder of the kind `train` writes: `checkpoints/step-000000000/`
 * (model.json, weights.safetensors, an empty optimizer.safetensors, trainer.json at step 0),
 * features.json and import.json. The whole folder is built beside `out` and renamed into place, so a
 * failure leaves nothing; an existing `out` is refused.
 */
export function writeImportedRun(out: string, encoder: AudioTransformerEncoder, plan: ImportPlan, record: Record<string, JsonValue>): string {
  if (existsSync(out) && readdirSync(out).length > 0) throw new InputError('the output folder exists and is not empty; choose another --out or remove it', { file: out });
  const params = [...encoder.namedParameters(ENCODER_PREFIX)];
  const tensors: ModelJson['tensors'] = {};
  for (const [n, v] of params) tensors[n] = { shape: [...v.shape], role: 'encoder' };
  const model: ModelJson = { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, step: 0, encoder: encoder.config as unknown as Record<string, JsonValue>, methods: [], tensors };
  const trainer: TrainerJson = { step: 0, seed: 0, epoch: 0, data: null, methods: {}, best: null, elapsed: 0, config: { import: record } };
  const name = checkpointName(0);
  writeDirAtomic(out, (tmp) => {
    // The files saveCheckpoint writes, in its order (trainer.json last marks the folder complete); the
    // weights streamed from the variables, so no second copy of a large model is made.
    const ckpt = join(tmp, 'checkpoints', name);
    mkdirSync(ckpt, { recursive: true });
    writeFileSync(join(ckpt, 'model.json'), JSON.stringify(model, null, 1) + '\n');
    writeSafetensorsStreamed(
      join(ckpt, 'weights.safetensors'),
      params.map(([n, v]) => ({ name: n, shape: [...v.shape], values: () => v.dataSync() as Float32Array })),
      { format: CHECKPOINT_FORMAT, step: '0' },
    );
    writeSafetensors(join(ckpt, 'optimizer.safetensors'), new Map(), { optimizer: 'adamw', hyper: '{}', steps: '{}' });
    writeFileSync(join(ckpt, 'trainer.json'), JSON.stringify(trainer) + '\n');
    writeFileSync(join(tmp, FEATURE_CONFIG_FILE), JSON.stringify(waveformFeatureConfig(plan), null, 1) + '\n');
    writeFileSync(join(tmp, IMPORT_RECORD_FILE), JSON.stringify(record, null, 1) + '\n');
  });
  return join(out, 'checkpoints', name);
}
