import * as tf from '@tensorflow/tfjs-core';
import { dirname, resolve } from 'node:path';
import type { Encoder } from '../models/encoder.ts';
import { buildEncoder } from '../models/registry.ts';
import type { ImageDataset } from '../image/dataset.ts';
import { loadTrainedEncoder } from '../checkpoint/trained-encoder.ts';
import { readConfigFile } from '../train/config.ts';
import { imageTensor, pooledImageRepresentation } from '../methods/image-tensor.ts';
import { readImageSourceSpec, type ImageSourceSpec } from '../data/image-source.ts';
import { Fields, type JsonValue } from '../util/fields.ts';
import { InputError } from '../util/errors.ts';

/**
 * Frozen image features for evaluation: an encoder from a checkpoint (its trained weights) or from a run
 * config (its seeded initial weights: the random-init baseline), the image source of that run, and one
 * pooled vector per image (the mean over the output tokens, or over hidden[layer]).
 */
export interface EvalEncoder {
  encoder: Encoder;
  /** What it is, for reports: the checkpoint folder and step, or `random init (seed N)`. */
  description: string;
  /** The run's `data` section (the image source to evaluate on), with the folder its paths resolve against. */
  data: Record<string, JsonValue>;
  baseDir: string;
}

/** The encoder of a checkpoint (a checkpoint folder, or a run folder: its best, else latest, checkpoint). */
export function encoderFromCheckpoint(path: string): EvalEncoder {
  const t = loadTrainedEncoder(path);
  const config = (t.runConfig ?? {}) as { data?: Record<string, JsonValue>; baseDir?: string };
  return { encoder: t.encoder, description: `${t.dir} (step ${t.step})`, data: config.data ?? {}, baseDir: config.baseDir ?? dirname(resolve(t.dir)) };
}

/** A freshly initialised encoder from a run config file (its `encoder` and `seed`), for the baseline row. */
export function encoderFromRunConfig(file: string): EvalEncoder {
  const raw = readConfigFile(file) as { encoder?: unknown; seed?: number; data?: Record<string, JsonValue> };
  if (!raw || typeof raw !== 'object' || raw.encoder === undefined) throw new InputError('expected a run config with an encoder section', { file });
  const seed = typeof raw.seed === 'number' ? raw.seed : 1;
  const encoder = buildEncoder(raw.encoder, { file, field: 'encoder', seed });
  return { encoder, description: `random init (${file}, seed ${seed})`, data: raw.data ?? {}, baseDir: dirname(resolve(file)) };
}

/** The image source of an evaluation: the run's, with `path` (and `source`) replaced when given. */
export function evalImageSpec(e: EvalEncoder, override: { path?: string; source?: string }): ImageSourceSpec {
  const data: Record<string, unknown> = { ...e.data };
  if (override.path) data.path = resolve(override.path);
  if (override.source) data.source = override.source;
  if (data.kind !== undefined && data.kind !== 'image') throw new InputError(`the run's data is "${String(data.kind)}", not images; give --images`, { field: 'data.kind' });
  const f = new Fields(data, 'data');
  return readImageSourceSpec(f, e.baseDir);
}

/** Pooled features of every image of `ds`, row-major [ds.size, encoder.outputDim], in batches. */
export function embedImages(
  encoder: Encoder, ds: ImageDataset, normalize: ImageSourceSpec['normalize'],
  opts: { batchSize?: number; layer?: number; onProgress?: (done: number, total: number) => void } = {},
): Float32Array {
  const bs = opts.batchSize ?? 256;
  const d = encoder.outputDim;
  const out = new Float32Array(ds.size * d);
  encoder.train(false);
  for (let start = 0; start < ds.size; start += bs) {
    const idx = Array.from({ length: Math.min(bs, ds.size - start) }, (_, k) => start + k);
    const rows = tf.tidy(() => pooledImageRepresentation(encoder, imageTensor(ds.toBatch(idx), normalize), opts.layer).dataSync() as Float32Array);
    out.set(rows, start * d);
    opts.onProgress?.(start + idx.length, ds.size);
  }
  return out;
}
