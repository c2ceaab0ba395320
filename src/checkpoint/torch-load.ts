import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointFormatError } from './format-error.ts';
import { loadSafetensorsStateDict, loadShards } from './safetensors-load.ts';
import { loadLegacyTorchFile, looksLegacy } from './torch-legacy.ts';
import { storageFromPid } from './torch-storage-pid.ts';
import { openTorchArchive } from './torch-zip.ts';
import { DTYPE_BYTES, readFileRange, TorchStorage, TorchTensor } from './torch-tensor.ts';
import { BufferInput, unpickle } from './unpickle.ts';

/**
 * PyTorch and Hugging Face weight files, read without Python and without running anything from them.
 * `loadTorchFile` reads what `torch.save` wrote (the zip format, and the legacy format of PyTorch < 1.6);
 * `loadSafetensorsStateDict` reads safetensors (one file or shards); `loadStateDict` takes any of them,
 * or a Hugging Face model folder, and finds the tensors.
 */

function head(file: string): { bytes: Uint8Array; size: number } {
  let size: number;
  try {
    const st = statSync(file);
    if (st.isDirectory()) throw new CheckpointFormatError('is a folder, not a checkpoint file', file);
    size = st.size;
  } catch (e) {
    if (e instanceof CheckpointFormatError) throw e;
    throw new CheckpointFormatError(`cannot read: ${(e as Error).message}`, file);
  }
  const bytes = new Uint8Array(Math.min(size, 512));
  readFileRange(file, 0, bytes.length, bytes);
  return { bytes, size };
}

/**
 * Reads a torch.save file. Returns the unpickled root: dicts with string keys become null-prototype
 * objects (OrderedDict too; dicts with other keys a Map), lists and tuples arrays, tensors TorchTensor
 * (read lazily), argparse.Namespace and other records null-prototype objects of their fields, numbers,
 * strings, booleans and None as JS values; integers beyond 2^53 become bigint.
 */
export function loadTorchFile(path: string): unknown {
  const { bytes, size } = head(path);
  if (size === 0) throw new CheckpointFormatError('empty file, not a PyTorch checkpoint', path);
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) return loadZip(path);
  if (looksLegacy(bytes)) return loadLegacyTorchFile(path);
  if (bytes.length >= 262 && String.fromCharCode(...bytes.subarray(257, 262)) === 'ustar') {
    throw new CheckpointFormatError('the tar format of torch.save from PyTorch < 0.4 is not read; load and save it again with a newer PyTorch', path);
  }
  if (looksSafetensors(bytes)) {
    throw new CheckpointFormatError('a safetensors file, not a torch.save file (use loadSafetensorsStateDict or loadStateDict)', path);
  }
  const shown = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new CheckpointFormatError(`not a PyTorch checkpoint (neither a torch.save zip nor a legacy torch pickle; it starts with bytes ${shown})`, path);
}

/** A u64 header size with zero high bytes, then a JSON object: safetensors, whatever the file's name. */
function looksSafetensors(bytes: Uint8Array): boolean {
  return bytes.length > 8 && bytes[8] === 0x7b && bytes[6] === 0 && bytes[7] === 0;
}

function loadZip(file: string): unknown {
  const archive = openTorchArchive(file);
  const storages = new Map<string, TorchStorage>();
  return unpickle(new BufferInput(archive.pickle, `${file}: ${archive.prefix}data.pkl`), {
    file: `${file}: ${archive.prefix}data.pkl`,
    persistentLoad: (pid) =>
      storageFromPid(pid, file, (key, dtype, numel) => {
        const known = storages.get(key);
        if (known) return known;
        const entry = `${archive.prefix}data/${key}`;
        const source = archive.storage(key);
        if (!source) throw new CheckpointFormatError(`the pickle refers to storage ${key}, but the archive has no entry ${entry}`, file);
        const needed = numel * DTYPE_BYTES[dtype];
        if (source.byteLength < needed) {
          throw new CheckpointFormatError(`entry ${entry} holds ${source.byteLength} bytes, but the pickle says ${numel} ${dtype} elements (${needed} bytes)`, file);
        }
        const storage = new TorchStorage(dtype, numel, source, 0, archive.bigEndian);
        storages.set(key, storage);
        return storage;
      }),
  });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Map) && !(v instanceof TorchTensor) && !(v instanceof Uint8Array);
}

function tensorsOnly(v: unknown): v is Record<string, TorchTensor> {
  return isRecord(v) && Object.keys(v).length > 0 && Object.values(v).every((x) => x instanceof TorchTensor);
}

/** Where checkpoints keep the model's weights, in the order tried: fairseq, plain trainers, s3prl. */
const STATE_DICT_KEYS = ['model', 'state_dict', 'model_state_dict', 'Distiller', 'module'];

/**
 * The state dict inside a loaded torch.save root: the root itself when it maps names to tensors, else
 * the first of `model`, `state_dict`, `model_state_dict`, `Distiller`, `module` that does, else the one
 * child mapping of tensors with the most entries.
 */
export function findStateDict(root: unknown, file: string): Record<string, TorchTensor> {
  if (tensorsOnly(root)) return root;
  if (isRecord(root)) {
    for (const key of STATE_DICT_KEYS) if (tensorsOnly(root[key])) return root[key];
    const candidates = Object.values(root).filter(tensorsOnly);
    if (candidates.length) return candidates.reduce((a, b) => (Object.keys(b).length > Object.keys(a).length ? b : a));
    const keys = Object.keys(root).slice(0, 20).join(', ');
    throw new CheckpointFormatError(`no state dict (a mapping of names to tensors) at the top level or under ${STATE_DICT_KEYS.join('/')}; top-level keys: ${keys}`, file);
  }
  throw new CheckpointFormatError('no state dict: the checkpoint holds a ' + (Array.isArray(root) ? 'list' : typeof root) + ', not a mapping of names to tensors', file);
}

/**
 * Any weight file or Hugging Face model folder: `.safetensors`, a shard index JSON, `.pt`/`.bin`/`.ckpt`
 * (torch.save), or a folder with `model.safetensors[.index.json]` or `pytorch_model.bin[.index.json]`.
 * `tensors` is the state dict; `root` the whole unpickled object (for a torch.save file, else the tensors).
 */
export function loadStateDict(path: string): { tensors: Record<string, TorchTensor>; root: unknown } {
  if (!existsSync(path)) throw new CheckpointFormatError('no such file or folder', path);
  if (statSync(path).isDirectory()) {
    for (const name of ['model.safetensors.index.json', 'model.safetensors']) {
      if (existsSync(join(path, name))) return fromTensors(loadSafetensorsStateDict(join(path, name)));
    }
    if (existsSync(join(path, 'pytorch_model.bin.index.json'))) return fromTensors(loadShards(join(path, 'pytorch_model.bin.index.json'), (f) => findStateDict(loadTorchFile(f), f)));
    if (existsSync(join(path, 'pytorch_model.bin'))) return loadStateDict(join(path, 'pytorch_model.bin'));
    throw new CheckpointFormatError('no weights in this folder (expected model.safetensors, model.safetensors.index.json, pytorch_model.bin or pytorch_model.bin.index.json)', path);
  }
  if (path.endsWith('.safetensors') || path.endsWith('.safetensors.index.json')) return fromTensors(loadSafetensorsStateDict(path));
  if (path.endsWith('.bin.index.json')) return fromTensors(loadShards(path, (f) => findStateDict(loadTorchFile(f), f)));
  if (looksSafetensors(head(path).bytes)) return fromTensors(loadSafetensorsStateDict(path));
  const root = loadTorchFile(path);
  return { tensors: findStateDict(root, path), root };
}

function fromTensors(tensors: Record<string, TorchTensor>): { tensors: Record<string, TorchTensor>; root: unknown } {
  return { tensors, root: tensors };
}
