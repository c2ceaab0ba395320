import { CheckpointFormatError } from './format-error.ts';

/** The byte-level side of unpickling: where the bytes come from, and the integer and text encodings. */

/** Where pickle bytes come from: a buffer, or (legacy torch files) a file read in chunks. */
export interface PickleInput {
  /** Absolute byte position of the next byte. */
  readonly position: number;
  /** The next `n` bytes; a short read throws. */
  read(n: number): Uint8Array;
  /** Up to and excluding the next newline. */
  readLine(): string;
}

export class BufferInput implements PickleInput {
  position = 0;
  private readonly bytes: Uint8Array;
  constructor(
    bytes: Uint8Array,
    private readonly file: string,
  ) {
    // A plain Uint8Array view (a Buffer's slice() shares memory; Uint8Array's copies).
    this.bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  read(n: number): Uint8Array {
    if (this.position + n > this.bytes.length) {
      throw new CheckpointFormatError(`truncated pickle: wanted ${n} bytes at offset ${this.position}, it ends at ${this.bytes.length}`, this.file);
    }
    const out = this.bytes.subarray(this.position, this.position + n);
    this.position += n;
    return out;
  }
  readLine(): string {
    const end = this.bytes.indexOf(0x0a, this.position);
    if (end < 0) throw new CheckpointFormatError(`truncated pickle: no end of line after offset ${this.position}`, this.file);
    const line = latin1(this.bytes.subarray(this.position, end));
    this.position = end + 1;
    return line;
  }
}

export function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

export const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Two's complement little-endian integer: a number when safe, else a bigint. */
export function littleInt(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

export function textInt(s: string): number | bigint {
  const t = s.trim().replace(/L$/, '');
  if (!/^[+-]?\d+$/.test(t)) throw new Error(`not an integer: "${s}"`);
  const v = BigInt(t);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

export function dataView(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

export function u32(input: PickleInput): number {
  return dataView(input.read(4)).getUint32(0, true);
}

export function u64(input: PickleInput): number {
  const v = dataView(input.read(8)).getBigUint64(0, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`a length of ${v} bytes`);
  return Number(v);
}
