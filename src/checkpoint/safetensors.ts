import { closeSync, openSync, readSync, fstatSync, writeFileSync } from 'node:fs';
import { InputError } from '../util/errors.ts';
import { parseSafetensorsHeader, safetensorsHeaderLength } from './safetensors-header.ts';

/**
 * The safetensors layout (huggingface/safetensors), float32 only:
 *   8 bytes   little-endian u64 N, the header size
 *   N bytes   UTF-8 JSON: {"<name>": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...,
 *             "__metadata__": {"<key>": "<string>"}}, padded with spaces to a multiple of 8
 *   the rest  raw little-endian float32 data; offsets are relative to the end of the header
 * Tensors are written in the order given, contiguous, so any safetensors reader (Python's
 * `safetensors.numpy.load_file`) opens the files the Trainer writes.
 */
export interface NamedArray {
  shape: number[];
  data: Float32Array;
}

export function encodeSafetensors(tensors: Map<string, NamedArray>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === '__metadata__') throw new Error('safetensors: "__metadata__" is reserved');
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`safetensors: "${name}" has shape [${t.shape}] (${count} values) but ${t.data.length} values`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  const enc = new TextEncoder();
  let headerBytes = enc.encode(json);
  const pad = (8 - (headerBytes.length % 8)) % 8;
  if (pad) headerBytes = enc.encode((json += ' '.repeat(pad)));
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    pos += t.data.byteLength;
  }
  return out;
}

export interface SafetensorsContents {
  tensors: Map<string, NamedArray>;
  metadata: Record<string, string>;
}

/** Parses safetensors bytes (F32 tensors only); errors name `file`. For other dtypes and lazy reads see
 * loadSafetensorsStateDict (src/checkpoint/safetensors-load.ts), which shares this header parser. */
export function decodeSafetensors(bytes: Uint8Array, file = '<buffer>'): SafetensorsContents {
  const n = safetensorsHeaderLength(bytes.subarray(0, 8), bytes.length, file);
  const header = parseSafetensorsHeader(bytes.subarray(8, 8 + n), bytes.length, file);
  const tensors = new Map<string, NamedArray>();
  for (const e of header.entries) {
    if (e.dtype !== 'float32') throw new InputError(`tensor "${e.name}": dtype ${e.code} (only F32 is read here; loadSafetensorsStateDict reads the others)`, { file });
    const data = new Float32Array((e.end - e.begin) / 4);
    new Uint8Array(data.buffer).set(bytes.subarray(e.begin, e.end));
    tensors.set(e.name, { shape: e.shape, data });
  }
  return { tensors, metadata: header.metadata };
}

export function writeSafetensors(file: string, tensors: Map<string, NamedArray>, metadata: Record<string, string> = {}): void {
  writeFileSync(file, encodeSafetensors(tensors, metadata));
}

export function readSafetensors(file: string): SafetensorsContents {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new InputError(`cannot read: ${(e as Error).message}`, { file });
  }
  try {
    const size = fstatSync(fd).size;
    const bytes = new Uint8Array(size);
    let pos = 0;
    while (pos < size) {
      const got = readSync(fd, bytes, pos, size - pos, pos);
      if (got === 0) break;
      pos += got;
    }
    return decodeSafetensors(bytes.subarray(0, pos), file);
  } finally {
    closeSync(fd);
  }
}
