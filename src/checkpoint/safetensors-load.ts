import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CheckpointFormatError } from './format-error.ts';
import { parseSafetensorsHeader, safetensorsHeaderLength } from './safetensors-header.ts';
import { FileRangeSource, readFileRange, TorchStorage, TorchTensor } from './torch-tensor.ts';

/**
 * safetensors files as lazily read tensors: the header is parsed and checked, each tensor becomes a
 * TorchTensor over its byte range, and nothing else is read until `toFloat32()`.
 */

function contiguousStrides(shape: number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) (strides[i] = s), (s *= shape[i]);
  return strides;
}

/** One safetensors file. */
export function loadSafetensorsFile(file: string): { tensors: Record<string, TorchTensor>; metadata: Record<string, string> } {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    throw new CheckpointFormatError(`cannot read: ${(e as Error).message}`, file);
  }
  const first8 = new Uint8Array(8);
  if (size >= 8) readFileRange(file, 0, 8, first8);
  const n = safetensorsHeaderLength(first8, size, file);
  const json = new Uint8Array(n);
  readFileRange(file, 8, n, json);
  const header = parseSafetensorsHeader(json, size, file);
  const tensors: Record<string, TorchTensor> = Object.create(null);
  for (const e of header.entries) {
    const count = e.shape.reduce((a, b) => a * b, 1);
    const storage = new TorchStorage(e.dtype, count, new FileRangeSource(`${file}: ${e.name}`, file, e.begin, e.end - e.begin));
    tensors[e.name] = new TorchTensor(storage, 0, e.shape, contiguousStrides(e.shape));
  }
  return { tensors, metadata: header.metadata };
}

/** The weight map of a sharded checkpoint's index JSON (`model.safetensors.index.json`, `pytorch_model.bin.index.json`). */
export function readShardIndex(indexFile: string): Map<string, string> {
  let index: unknown;
  try {
    index = JSON.parse(readFileSync(indexFile, 'utf8'));
  } catch (e) {
    throw new CheckpointFormatError(`unreadable shard index: ${(e as Error).message}`, indexFile);
  }
  const map = (index as { weight_map?: unknown } | null)?.weight_map;
  if (!map || typeof map !== 'object' || Array.isArray(map)) throw new CheckpointFormatError('the shard index has no "weight_map" object', indexFile);
  const out = new Map<string, string>();
  for (const [name, shard] of Object.entries(map as Record<string, unknown>)) {
    // Shards sit beside the index: a path that leaves the folder is refused.
    if (typeof shard !== 'string' || shard !== basename(shard) || shard === '..' || shard === '.') {
      throw new CheckpointFormatError(`weight_map["${name}"] = ${JSON.stringify(shard)} is not a file name beside the index`, indexFile);
    }
    out.set(name, shard);
  }
  return out;
}

/** Reads the shards an index names, with `loadShard`, checking each holds the tensors the index puts there. */
export function loadShards(indexFile: string, loadShard: (file: string) => Record<string, TorchTensor>): Record<string, TorchTensor> {
  const weightMap = readShardIndex(indexFile);
  const tensors: Record<string, TorchTensor> = Object.create(null);
  for (const shard of new Set(weightMap.values())) {
    const path = join(dirname(indexFile), shard);
    if (!existsSync(path)) throw new CheckpointFormatError(`shard ${shard} named by the index is missing`, indexFile);
    const part = loadShard(path);
    for (const [name, t] of Object.entries(part)) {
      if (name in tensors) throw new CheckpointFormatError(`tensor "${name}" appears in two shards`, path);
      tensors[name] = t;
    }
  }
  const missing = [...weightMap].filter(([name]) => !(name in tensors)).map(([name, shard]) => `${name} (in ${shard})`);
  if (missing.length) throw new CheckpointFormatError(`tensors the index names are not in their shards: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', ...' : ''}`, indexFile);
  return tensors;
}

/**
 * A safetensors state dict: one file, a sharded checkpoint's index JSON, or a folder holding
 * `model.safetensors.index.json` or `model.safetensors`.
 */
export function loadSafetensorsStateDict(pathOrDir: string): Record<string, TorchTensor> {
  let path = pathOrDir;
  if (existsSync(path) && statSync(path).isDirectory()) {
    const index = join(path, 'model.safetensors.index.json');
    const single = join(path, 'model.safetensors');
    if (existsSync(index)) path = index;
    else if (existsSync(single)) path = single;
    else throw new CheckpointFormatError('no model.safetensors or model.safetensors.index.json in this folder', pathOrDir);
  }
  if (path.endsWith('.json')) return loadShards(path, (f) => loadSafetensorsFile(f).tensors);
  return loadSafetensorsFile(path).tensors;
}
