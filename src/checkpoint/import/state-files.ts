import { loadSafetensorsFile, loadSafetensorsStateDict } from '../safetensors-load.ts';
import { InputError } from '../../util/errors.ts';
import type { SourceState, SourceTensor } from './source-tensor.ts';

/** Reading the files checkpoints come in: safetensors (one file, or shards with their index JSON), any dtype, lazily. */

export function readSafetensorsState(file: string): SourceState {
  return new Map(Object.entries(loadSafetensorsFile(file).tensors));
}

/** The shards an index JSON (`model.safetensors.index.json`: {"weight_map": {tensor: shard file}}) names, merged. */
export function readShardedSafetensors(indexFile: string): SourceState {
  return new Map(Object.entries(loadSafetensorsStateDict(indexFile)));
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
