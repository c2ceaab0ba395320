import { readFileSync, openSync, readSync, closeSync } from 'node:fs';
import { InputError } from './errors.ts';
import { writeFileAtomic } from './atomic.ts';

/** A typed n-dimensional array as numpy's `.npy` format stores it (C order). */
export type NpyData = Float32Array | Float64Array | Int32Array | Int16Array | Uint8Array | BigInt64Array;
export interface NpyArray<T extends NpyData = NpyData> {
  data: T;
  shape: number[];
}

const DTYPES: Record<string, { ctor: new (buf: ArrayBuffer, off: number, len: number) => NpyData; size: number }> = {
  '<f4': { ctor: Float32Array, size: 4 },
  '<f8': { ctor: Float64Array, size: 8 },
  '<i4': { ctor: Int32Array, size: 4 },
  '<i2': { ctor: Int16Array, size: 2 },
  '|u1': { ctor: Uint8Array, size: 1 },
  '<i8': { ctor: BigInt64Array, size: 8 },
};

function descrOf(data: NpyData): string {
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Float64Array) return '<f8';
  if (data instanceof Int32Array) return '<i4';
  if (data instanceof Int16Array) return '<i2';
  if (data instanceof Uint8Array) return '|u1';
  return '<i8';
}

interface NpyHeader {
  descr: string;
  fortran: boolean;
  shape: number[];
  dataOffset: number;
}

function parseHeader(buf: Uint8Array, file: string): NpyHeader {
  const magic = String.fromCharCode(...buf.subarray(0, 6));
  if (magic !== '\x93NUMPY') throw new InputError('not a .npy file (bad magic)', { file });
  const major = buf[6];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (buf.length < start + headerLen) throw new InputError('truncated .npy header', { file });
  const text = new TextDecoder().decode(buf.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(text)?.[1];
  const fortran = /'fortran_order':\s*True/.test(text);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(text)?.[1];
  if (!descr || shapeText === undefined) throw new InputError(`unreadable .npy header: ${text.trim()}`, { file });
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  return { descr, fortran, shape, dataOffset: start + headerLen };
}

/** Reads a whole `.npy` file (little-endian f4/f8/i4/i2/u1/i8, C order). */
export function readNpy(file: string): NpyArray {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new InputError(`cannot read: ${(e as Error).message}`, { file });
  }
  return decodeNpy(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), file);
}

/** Decodes `.npy` bytes. */
export function decodeNpy(buf: Uint8Array, file = '<buffer>'): NpyArray {
  const h = parseHeader(buf, file);
  const dt = DTYPES[h.descr];
  if (!dt) throw new InputError(`unsupported dtype ${h.descr} (expected one of ${Object.keys(DTYPES).join(', ')})`, { file });
  if (h.fortran) throw new InputError('fortran-order arrays are not supported', { file });
  const count = h.shape.reduce((a, b) => a * b, 1);
  const bytes = count * dt.size;
  if (buf.length - h.dataOffset < bytes) throw new InputError(`truncated data: expected ${bytes} bytes, found ${buf.length - h.dataOffset}`, { file });
  const copy = new Uint8Array(bytes);
  copy.set(buf.subarray(h.dataOffset, h.dataOffset + bytes));
  return { data: new dt.ctor(copy.buffer, 0, count), shape: h.shape };
}

/** Reads only the header of a `.npy` (shape and dtype), for streaming readers. */
export function readNpyHeader(file: string): { descr: string; shape: number[]; dataOffset: number } {
  const fd = openSync(file, 'r');
  try {
    const buf = new Uint8Array(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return parseHeader(buf.subarray(0, n), file);
  } finally {
    closeSync(fd);
  }
}

/** Reads rows [start, end) of a 2-D float32 `.npy` without loading the whole file. */
export function readNpyRows(file: string, start: number, end: number): Float32Array {
  const h = readNpyHeader(file);
  if (h.descr !== '<f4' || h.shape.length !== 2) throw new InputError(`expected a 2-D float32 array, found ${h.descr} ${JSON.stringify(h.shape)}`, { file });
  const dims = h.shape[1];
  const out = new Float32Array((end - start) * dims);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, new Uint8Array(out.buffer), 0, out.byteLength, h.dataOffset + start * dims * 4);
  } finally {
    closeSync(fd);
  }
  return out;
}

/**
 * The header of a version-1.0 C-order `.npy` of `descr` (e.g. '<f4') and `shape`: magic, length, the
 * dict padded with spaces and a newline to a multiple of 64 bytes, or to exactly `total` bytes (a header
 * written before the final shape is known reserves room and is patched in place).
 */
export function encodeNpyHeader(descr: string, shape: number[], total?: number): Uint8Array {
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  const min = 10 + dict.length + 1;
  const size = total ?? Math.ceil(min / 64) * 64;
  if (size < min) throw new Error(`npy header for ${shapeStr} needs ${min} bytes, only ${size} reserved`);
  dict += ' '.repeat(size - min) + '\n';
  const out = new Uint8Array(size);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, dict.length, true);
  for (let i = 0; i < dict.length; i++) out[10 + i] = dict.charCodeAt(i);
  return out;
}

/** Encodes an array as `.npy` version 1.0 bytes. */
export function encodeNpy(data: NpyData, shape: number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`encodeNpy: shape ${JSON.stringify(shape)} holds ${count} values, data has ${data.length}`);
  const header = encodeNpyHeader(descrOf(data), shape);
  const out = new Uint8Array(header.length + data.byteLength);
  out.set(header, 0);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), header.length);
  return out;
}

/** Writes a `.npy` atomically. */
export function writeNpy(file: string, data: NpyData, shape: number[]): void {
  writeFileAtomic(file, encodeNpy(data, shape));
}
