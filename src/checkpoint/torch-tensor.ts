import { closeSync, openSync, readSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { CheckpointFormatError } from './format-error.ts';

/**
 * Tensors as a PyTorch checkpoint stores them: a typed storage (a run of bytes somewhere in a file) and a
 * strided view of it (offset, shape, strides, all in elements, as `torch.Tensor.as_strided` takes them).
 * Nothing is read when a checkpoint is loaded; `toFloat32()` reads the bytes the view spans and converts,
 * so a loaded 95M-parameter checkpoint holds no weight data until each tensor is asked for.
 */
export type TorchDType =
  | 'float32'
  | 'float16'
  | 'bfloat16'
  | 'float64'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint8'
  | 'bool';

export const DTYPE_BYTES: Readonly<Record<TorchDType, number>> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/** The element type `toTypedArray()` returns: float16/bfloat16 as their raw 16-bit patterns, bool as 0/1. */
export type TorchTypedArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array | Uint16Array;

/** Where a storage's bytes are, read on demand. */
export interface ByteSource {
  /** For messages: `model.pt: archive/data/3`. */
  readonly name: string;
  readonly byteLength: number;
  /** `length` bytes from `offset` (relative to this source) into `into`, which is at least `length` long. */
  readInto(offset: number, length: number, into: Uint8Array): void;
}

/** Bytes already in memory (a numpy array inside a pickle, a test). */
export class MemorySource implements ByteSource {
  constructor(
    readonly name: string,
    private readonly bytes: Uint8Array,
  ) {}
  get byteLength(): number {
    return this.bytes.length;
  }
  readInto(offset: number, length: number, into: Uint8Array): void {
    into.set(this.bytes.subarray(offset, offset + length));
  }
}

/** A byte range of a file, read with positioned reads (the file is opened for each read and closed). */
export class FileRangeSource implements ByteSource {
  constructor(
    readonly name: string,
    readonly file: string,
    readonly start: number,
    readonly byteLength: number,
  ) {}
  readInto(offset: number, length: number, into: Uint8Array): void {
    readFileRange(this.file, this.start + offset, length, into, this.name);
  }
}

/** A deflate-compressed zip entry: inflated for each read (torch.save never compresses; other zip tools may). */
export class DeflatedSource implements ByteSource {
  constructor(
    readonly name: string,
    private readonly compressed: ByteSource,
    readonly byteLength: number,
  ) {}
  readInto(offset: number, length: number, into: Uint8Array): void {
    const packed = new Uint8Array(this.compressed.byteLength);
    this.compressed.readInto(0, packed.length, packed);
    let bytes: Uint8Array;
    try {
      bytes = inflateRawSync(packed, { maxOutputLength: Math.max(1, this.byteLength) });
    } catch (e) {
      throw new CheckpointFormatError(`corrupt deflate data: ${(e as Error).message}`, this.name);
    }
    if (bytes.length !== this.byteLength) throw new CheckpointFormatError(`inflates to ${bytes.length} bytes, the zip directory says ${this.byteLength}`, this.name);
    into.set(bytes.subarray(offset, offset + length));
  }
}

/** Positioned read of exactly `length` bytes; a short read is a truncated file. */
export function readFileRange(file: string, position: number, length: number, into: Uint8Array, name = file): void {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new CheckpointFormatError(`cannot read: ${(e as Error).message}`, file);
  }
  try {
    let done = 0;
    while (done < length) {
      const got = readSync(fd, into, done, Math.min(length - done, 1 << 30), position + done);
      if (got === 0) throw new CheckpointFormatError(`truncated: wanted ${length} bytes at offset ${position}, the file ends after ${done}`, name);
      done += got;
    }
  } finally {
    closeSync(fd);
  }
}

/** A typed run of `numel` elements starting `byteOffset` bytes into `source`. */
export class TorchStorage {
  constructor(
    readonly dtype: TorchDType,
    readonly numel: number,
    readonly source: ByteSource,
    readonly byteOffset = 0,
    readonly bigEndian = false,
  ) {}
}

let halfTable: Float32Array | undefined;

/** float16 bit pattern -> float32, through a 64K-entry table built on first use. */
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  halfTable = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) halfTable[h] = sign * mant * 2 ** -24;
    else if (exp === 31) halfTable[h] = mant ? NaN : sign * Infinity;
    else halfTable[h] = sign * (1 + mant / 1024) * 2 ** (exp - 15);
  }
  return halfTable;
}

function typedView(dtype: TorchDType, buf: ArrayBuffer, count: number): TorchTypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(buf, 0, count);
    case 'float64':
      return new Float64Array(buf, 0, count);
    case 'int64':
      return new BigInt64Array(buf, 0, count);
    case 'int32':
      return new Int32Array(buf, 0, count);
    case 'int16':
      return new Int16Array(buf, 0, count);
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(buf, 0, count);
    case 'int8':
      return new Int8Array(buf, 0, count);
    case 'uint8':
    case 'bool':
      return new Uint8Array(buf, 0, count);
  }
}

function byteSwap(bytes: Uint8Array, size: number): void {
  for (let i = 0; i + size <= bytes.length; i += size) bytes.subarray(i, i + size).reverse();
}

export class TorchTensor {
  constructor(
    readonly storage: TorchStorage,
    /** In elements of the storage's dtype. */
    readonly storageOffset: number,
    readonly shape: number[],
    /** In elements; C order when contiguous. */
    readonly strides: number[],
    readonly requiresGrad = false,
  ) {}

  get dtype(): TorchDType {
    return this.storage.dtype;
  }

  get numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** One past the last storage element the view touches (relative to the storage's start). */
  get extent(): number {
    if (this.numel === 0) return this.storageOffset;
    return this.storageOffset + this.shape.reduce((acc, n, i) => acc + (n - 1) * this.strides[i], 0) + 1;
  }

  isContiguous(): boolean {
    let expected = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      if (this.shape[i] !== 1 && this.strides[i] !== expected) return false;
      expected *= this.shape[i];
    }
    return true;
  }

  /** The elements in C order, in the storage's own type (float16/bfloat16 as raw 16-bit patterns). */
  toTypedArray(): TorchTypedArray {
    const n = this.numel;
    const size = DTYPE_BYTES[this.dtype];
    if (n === 0) return typedView(this.dtype, new ArrayBuffer(0), 0);
    const span = this.extent - this.storageOffset;
    const buf = new ArrayBuffer(span * size);
    const bytes = new Uint8Array(buf);
    this.storage.source.readInto(this.storage.byteOffset + this.storageOffset * size, span * size, bytes);
    if (this.storage.bigEndian && size > 1) byteSwap(bytes, size);
    const src = typedView(this.dtype, buf, span);
    if (this.isContiguous()) return src;
    const out = typedView(this.dtype, new ArrayBuffer(n * size), n);
    gather(src, out, this.shape, this.strides);
    return out;
  }

  /** A float32 copy in C order, honouring storage offset and strides; other dtypes converted. */
  toFloat32(): Float32Array {
    const raw = this.toTypedArray();
    if (raw instanceof Float32Array) return raw;
    const out = new Float32Array(raw.length);
    if (this.dtype === 'float16') {
      const table = halfToFloatTable();
      const h = raw as Uint16Array;
      for (let i = 0; i < h.length; i++) out[i] = table[h[i]];
    } else if (this.dtype === 'bfloat16') {
      const bits = new Uint32Array(out.buffer);
      const h = raw as Uint16Array;
      for (let i = 0; i < h.length; i++) bits[i] = h[i] << 16;
    } else if (raw instanceof BigInt64Array) {
      for (let i = 0; i < raw.length; i++) out[i] = Number(raw[i]);
    } else {
      out.set(raw as ArrayLike<number>);
    }
    return out;
  }

  toString(): string {
    return `TorchTensor(${this.dtype}, [${this.shape.join(', ')}])`;
  }
}

/** Copies the strided view `src` (element 0 = the view's first element) into `out` in C order. */
function gather(src: TorchTypedArray, out: TorchTypedArray, shape: number[], strides: number[]): void {
  const dims = shape.length;
  const index = new Array<number>(dims).fill(0);
  const last = dims - 1;
  const inner = shape[last];
  const innerStride = strides[last];
  const s = src as unknown as { [i: number]: number | bigint };
  const o = out as unknown as { [i: number]: number | bigint };
  let base = 0;
  let pos = 0;
  for (;;) {
    for (let k = 0, at = base; k < inner; k++, at += innerStride) o[pos++] = s[at];
    let d = last - 1;
    while (d >= 0) {
      index[d]++;
      base += strides[d];
      if (index[d] < shape[d]) break;
      base -= strides[d] * index[d];
      index[d] = 0;
      d--;
    }
    if (d < 0) return;
  }
}
