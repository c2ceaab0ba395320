import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readSafetensors } from '../../train/safetensors.ts';
import { InputError, errorMessage } from '../../util/errors.ts';
import { stateFromArrays, type SourceState, type SourceTensor } from './source-tensor.ts';

/** Reading the files checkpoints come in: safetensors (one file or shards with their index JSON). */

export function readSafetensorsState(file: string): SourceState {
  return stateFromArrays(readSafetensors(file).tensors);
}

/** The shards an index JSON (`model.safetensors.index.json`: {"weight_map": {tensor: shard file}}) names, merged. */
export function readShardedSafetensors(indexFile: string): SourceState {
  let index: unknown;
  try {
    index = JSON.parse(readFileSync(indexFile, 'utf8'));
  } catch (e) {
    throw new InputError(`unreadable index: ${errorMessage(e)}`, { file: indexFile });
  }
  const map = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new InputError('expected {"weight_map": {tensor name: shard file}}', { file: indexFile });
  const shards = new Set(Object.values(map as Record<string, unknown>));
  const state: SourceState = new Map();
  for (const shard of shards) {
    if (typeof shard !== 'string' || shard.includes('/') || shard.includes('\\')) throw new InputError(`weight_map names a shard ${JSON.stringify(shard)}, expected a file name beside the index`, { file: indexFile });
    const path = join(dirname(indexFile), shard);
    if (!existsSync(path)) throw new InputError(`shard ${shard} named by the index is missing`, { file: indexFile });
    for (const [k, t] of readSafetensorsState(path)) state.set(k, t);
  }
  for (const k of Object.keys(map as object)) if (!state.has(k)) throw new InputError(`tensor "${k}" is listed in weight_map but not in its shard`, { file: indexFile });
  return state;
}

function isTensor(v: unknown): v is SourceTensor {
  return typeof v === 'object' && v !== null && Array.isArray((v as SourceTensor).shape) && typeof (v as SourceTensor).toFloat32 === 'function';
}

/**
 * A state dict inside a loaded checkpoint (a Map, or the plain object the torch reader makes of a dict):
 * every value must be a tensor. `field` names where it was found, for messages.
 */
export function asState(value: unknown, file: string, field: string): SourceState {
  const entries = value instanceof Map ? [...value.entries()] : typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.entries(value) : null;
  if (!entries) throw new InputError(`expected a state dict (tensor name -> tensor) at "${field}"`, { file });
  const state: SourceState = new Map();
  for (const [k, v] of entries) {
    if (!isTensor(v)) throw new InputError(`"${field}" holds "${String(k)}", which is not a tensor`, { file });
    state.set(String(k), v);
  }
  return state;
}
