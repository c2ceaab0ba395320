import { copyFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { InputError, errorMessage } from '../util/errors.ts';
import type { JsonValue } from '../util/fields.ts';

/**
 * The feature configuration a run was trained on. `speech-ssl extract` writes `features.json` into its
 * output folder; a run whose data section reads those features (a folder of .npy, a shard prefix
 * `dir/split` or a shard file) finds it beside them. The train command copies it into the run folder, so
 * a run keeps it even if the features move; export and extraction read it back to rebuild the frontend.
 */
export const FEATURE_CONFIG_FILE = 'features.json';

/** Where the features of `data.train.features` keep their features.json (undefined for other data kinds). */
export function featureConfigBesideData(runConfig: Record<string, JsonValue>): string | undefined {
  const data = runConfig.data as Record<string, JsonValue> | undefined;
  const train = data?.train as Record<string, JsonValue> | undefined;
  if (!data || (data.kind !== undefined && data.kind !== 'features') || typeof train?.features !== 'string') return undefined;
  const base = typeof runConfig.baseDir === 'string' ? runConfig.baseDir : '.';
  const p = isAbsolute(train.features) ? train.features : resolve(base, train.features);
  const dir = existsSync(p) && statSync(p).isDirectory() ? p : dirname(p);
  return join(dir, FEATURE_CONFIG_FILE);
}

/** Copies the training features' features.json into the run folder, when there is one. Returns the copy. */
export function copyFeatureConfigIntoRun(runConfig: Record<string, JsonValue>, outDir: string): string | undefined {
  const src = featureConfigBesideData(runConfig);
  if (!src || !existsSync(src)) return undefined;
  const dst = join(outDir, FEATURE_CONFIG_FILE);
  if (resolve(src) !== resolve(dst)) copyFileSync(src, dst);
  return dst;
}

/** The run folder of a checkpoint folder `<run>/checkpoints/step-N` (undefined for a checkpoint kept elsewhere). */
export function runFolderOf(checkpointDir: string): string | undefined {
  const parent = dirname(resolve(checkpointDir));
  return basename(parent) === 'checkpoints' ? dirname(parent) : undefined;
}

/**
 * The features.json of a trained checkpoint: the run folder's copy, else the one beside the training
 * data. Returns undefined when neither exists (a waveform run, or features made elsewhere).
 */
export function findTrainingFeatureConfig(checkpointDir: string, runConfig: Record<string, JsonValue> | undefined): string | undefined {
  const run = runFolderOf(checkpointDir);
  const inRun = run ? join(run, FEATURE_CONFIG_FILE) : undefined;
  if (inRun && existsSync(inRun)) return inRun;
  const beside = runConfig ? featureConfigBesideData(runConfig) : undefined;
  return beside && existsSync(beside) ? beside : undefined;
}

export function readFeatureConfig(file: string): Record<string, JsonValue> {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`cannot read the feature configuration: ${errorMessage(e)}`, { file });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v) || typeof (v as Record<string, unknown>).features !== 'string') {
    throw new InputError('expected the features.json that `speech-ssl extract` writes (an object with "features", the kind)', { file });
  }
  return v as Record<string, JsonValue>;
}
