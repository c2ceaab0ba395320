import { closeSync, openSync, readSync, fstatSync, writeFileSync } from 'node:fs';
import { InputError } from '../util/errors.ts';

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

/** Parses safetensors bytes (F32 tensors only); errors name `file`. */
export function decodeSafetensors(bytes: Uint8Array, file = '<buffer>'): SafetensorsContents {
  if (bytes.length < 8) throw new InputError('truncated safetensors file (no header size)', { file });
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true));
  if (8 + n > bytes.length) throw new InputError(`truncated safetensors file: header of ${n} bytes, file of ${bytes.length}`, { file });
  let header: Record<string, { dtype?: string; shape?: number[]; data_offsets?: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new InputError(`unreadable safetensors header: ${(e as Error).message}`, { file });
  }
  const base = 8 + n;
  const tensors = new Map<string, NamedArray>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: string; shape?: number[]; data_offsets?: [number, number] };
    if (e.dtype !== 'F32') throw new InputError(`tensor "${name}": dtype ${e.dtype} (only F32 is supported)`, { file });
    const [begin, end] = e.data_offsets ?? [NaN, NaN];
    const shape = e.shape ?? [];
    const count = shape.reduce((a, b) => a * b, 1);
    if (!(Number.isInteger(begin) && Number.isInteger(end) && end - begin === count * 4 && base + end <= bytes.length)) {
      throw new InputError(`tensor "${name}": offsets [${begin}, ${end}] do not fit shape [${shape}] in a file of ${bytes.length} bytes`, { file });
    }
    const data = new Float32Array(count);
    new Uint8Array(data.buffer).set(bytes.subarray(base + begin, base + end));
    tensors.set(name, { shape, data });
  }
  return { tensors, metadata };
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
