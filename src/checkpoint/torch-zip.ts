import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { CheckpointFormatError } from './format-error.ts';
import { DeflatedSource, FileRangeSource, readFileRange, type ByteSource } from './torch-tensor.ts';

/**
 * The zip container `torch.save` writes (PyTorch >= 1.6): one folder (named after the file, or `archive`)
 * holding `data.pkl` (the pickled object), `data/<key>` (one entry per storage, raw little-endian bytes),
 * `version`, and in newer versions `byteorder`. Entries are stored uncompressed and 64-byte aligned; we
 * also take deflated entries (a checkpoint re-zipped by another tool) and zip64 directories (> 4 GiB).
 *
 * Only the central directory is read when the archive is opened; each entry's bytes are read by
 * positioned reads when asked for, so storages stay on disk until a tensor is converted.
 */
export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate. */
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** The largest entry read whole into memory (data.pkl of the biggest checkpoints is a few MB). */
const MAX_WHOLE_ENTRY = 1 << 30;

function u64(view: DataView, at: number): number {
  return Number(view.getBigUint64(at, true));
}

export class ZipArchive {
  private constructor(
    readonly file: string,
    readonly size: number,
    readonly entries: Map<string, ZipEntry>,
  ) {}

  static open(file: string): ZipArchive {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (e) {
      throw new CheckpointFormatError(`cannot read: ${(e as Error).message}`, file);
    }
    let size: number;
    let tail: Uint8Array;
    try {
      size = fstatSync(fd).size;
      const tailLength = Math.min(size, 22 + 65535 + 20);
      tail = new Uint8Array(tailLength);
      readSync(fd, tail, 0, tailLength, size - tailLength);
    } finally {
      closeSync(fd);
    }
    const tailStart = size - tail.length;
    const view = new DataView(tail.buffer);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (view.getUint32(i, true) === EOCD) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new CheckpointFormatError('truncated or not a zip file (no end-of-central-directory record)', file);
    let count = view.getUint16(eocd + 10, true);
    let cdSize = view.getUint32(eocd + 12, true);
    let cdOffset = view.getUint32(eocd + 16, true);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const loc = eocd - 20;
      if (loc < 0 || view.getUint32(loc, true) !== ZIP64_LOCATOR) throw new CheckpointFormatError('zip64 directory announced but its locator is missing', file);
      const recordAt = u64(view, loc + 8);
      const record = new Uint8Array(56);
      if (recordAt + 56 > size) throw new CheckpointFormatError('truncated: the zip64 directory record lies past the end of the file', file);
      readFileRange(file, recordAt, 56, record);
      const rv = new DataView(record.buffer);
      if (rv.getUint32(0, true) !== ZIP64_EOCD) throw new CheckpointFormatError(`no zip64 end-of-directory record at offset ${recordAt}`, file);
      count = u64(rv, 32);
      cdSize = u64(rv, 40);
      cdOffset = u64(rv, 48);
    }
    if (cdOffset + cdSize > size) {
      throw new CheckpointFormatError(`truncated: the zip directory (${cdSize} bytes at offset ${cdOffset}) lies past the end of the file (${size} bytes)`, file);
    }
    const cd = cdOffset >= tailStart ? tail.subarray(cdOffset - tailStart, cdOffset - tailStart + cdSize) : new Uint8Array(cdSize);
    if (cdOffset < tailStart) readFileRange(file, cdOffset, cdSize, cd);
    return new ZipArchive(file, size, parseCentralDirectory(cd, count, file));
  }

  /** The bytes of an entry as a lazily read source; undefined when the archive has no such entry. */
  source(name: string): ByteSource | undefined {
    const e = this.entries.get(name);
    if (!e) return undefined;
    const label = `${this.file}: ${name}`;
    const local = new Uint8Array(30);
    if (e.localHeaderOffset + 30 > this.size) throw new CheckpointFormatError('truncated: the entry lies past the end of the file', label);
    readFileRange(this.file, e.localHeaderOffset, 30, local, label);
    const lv = new DataView(local.buffer);
    if (lv.getUint32(0, true) !== LOCAL) throw new CheckpointFormatError(`no local zip header at offset ${e.localHeaderOffset}`, label);
    const start = e.localHeaderOffset + 30 + lv.getUint16(26, true) + lv.getUint16(28, true);
    if (start + e.compressedSize > this.size) {
      throw new CheckpointFormatError(`truncated: the entry's ${e.compressedSize} bytes at offset ${start} run past the end of the file (${this.size} bytes)`, label);
    }
    const raw = new FileRangeSource(label, this.file, start, e.compressedSize);
    if (e.method === 0) return raw;
    // Deflate shrinks at most ~1032:1; a larger claim is a zip bomb or a corrupt directory.
    if (e.size > e.compressedSize * 1032 + 1024) throw new CheckpointFormatError(`claims ${e.size} bytes from ${e.compressedSize} compressed bytes, more than deflate can produce`, label);
    return new DeflatedSource(label, raw, e.size);
  }

  /** A whole entry's bytes (for small entries such as `data.pkl`). */
  read(name: string): Uint8Array | undefined {
    const src = this.source(name);
    if (!src) return undefined;
    if (src.byteLength > MAX_WHOLE_ENTRY) throw new CheckpointFormatError(`entry of ${src.byteLength} bytes is too large to read whole (limit ${MAX_WHOLE_ENTRY})`, `${this.file}: ${name}`);
    const out = new Uint8Array(src.byteLength);
    src.readInto(0, out.length, out);
    return out;
  }
}

function parseCentralDirectory(cd: Uint8Array, count: number, file: string): Map<string, ZipEntry> {
  const view = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const entries = new Map<string, ZipEntry>();
  const decoder = new TextDecoder();
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 46 > cd.length || view.getUint32(at, true) !== CENTRAL) throw new CheckpointFormatError(`corrupt zip directory at entry ${i} of ${count}`, file);
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    let compressedSize = view.getUint32(at + 20, true);
    let size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    let localHeaderOffset = view.getUint32(at + 42, true);
    const name = decoder.decode(cd.subarray(at + 46, at + 46 + nameLength));
    // zip64 extended information (id 0x0001): the 64-bit values of the fields that hold 0xffffffff, in order.
    let x = at + 46 + nameLength;
    const extraEnd = x + extraLength;
    while (x + 4 <= extraEnd) {
      const id = view.getUint16(x, true);
      const len = view.getUint16(x + 2, true);
      if (id === 0x0001) {
        let p = x + 4;
        if (size === 0xffffffff) (size = u64(view, p)), (p += 8);
        if (compressedSize === 0xffffffff) (compressedSize = u64(view, p)), (p += 8);
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = u64(view, p);
      }
      x += 4 + len;
    }
    if (flags & 1) throw new CheckpointFormatError(`entry "${name}" is encrypted`, file);
    if (method !== 0 && method !== 8) throw new CheckpointFormatError(`entry "${name}" uses compression method ${method} (only stored and deflate are read)`, file);
    entries.set(name, { name, method, compressedSize, size, localHeaderOffset });
    at = extraEnd + commentLength;
  }
  return entries;
}

/** A torch.save zip: its folder prefix, the pickle, and where each storage's bytes are. */
export interface TorchArchive {
  zip: ZipArchive;
  /** The folder every entry sits in, with its slash: `archive/`, `model/`. */
  prefix: string;
  pickle: Uint8Array;
  bigEndian: boolean;
  /** The storage entry `<prefix>data/<key>`; undefined when the archive lacks it. */
  storage(key: string): ByteSource | undefined;
}

export function openTorchArchive(file: string): TorchArchive {
  const zip = ZipArchive.open(file);
  const pkl = [...zip.entries.keys()].filter((n) => n === 'data.pkl' || (n.endsWith('/data.pkl') && n.indexOf('/') === n.length - '/data.pkl'.length));
  if (pkl.length !== 1) {
    const names = [...zip.entries.keys()].slice(0, 5).join(', ');
    throw new CheckpointFormatError(`a zip file but not a torch.save checkpoint: expected one <folder>/data.pkl entry, found ${pkl.length} (entries: ${names}${zip.entries.size > 5 ? ', ...' : ''})`, file);
  }
  const prefix = pkl[0].slice(0, pkl[0].length - 'data.pkl'.length);
  const pickle = zip.read(pkl[0])!;
  const order = zip.read(`${prefix}byteorder`);
  const orderText = order ? new TextDecoder().decode(order).trim() : 'little';
  if (orderText !== 'little' && orderText !== 'big') throw new CheckpointFormatError(`entry ${prefix}byteorder says "${orderText}" (expected little or big)`, file);
  return { zip, prefix, pickle, bigEndian: orderText === 'big', storage: (key) => zip.source(`${prefix}data/${key}`) };
}
