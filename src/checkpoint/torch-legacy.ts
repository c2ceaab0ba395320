import { closeSync, fstatSync, openSync } from 'node:fs';
import { CheckpointFormatError } from './format-error.ts';
import { toPlain } from './pickle-values.ts';
import { unpickle, unpickleRaw, type PickleInput } from './unpickle.ts';
import { DTYPE_BYTES, FileRangeSource, readFileRange, TorchStorage, type ByteSource } from './torch-tensor.ts';
import { storageFromPid } from './torch-storage-pid.ts';

/**
 * The legacy (pre-1.6, non-zip) torch.save format, as `_use_new_zipfile_serialization=False` still
 * writes it and as wav2vec 2.0's 2020 checkpoints were saved: five pickles back to back (the magic
 * number 0x1950a86a20f9469cfc6c, the protocol version 1001, a dict of system info, the object with
 * persistent ids ('storage', type, key, location, numel, view), the sorted list of storage keys), then
 * for each key in that order an int64 element count and the storage's raw bytes.
 */
const MAGIC = 0x1950a86a20f9469cfc6cn;
const PROTOCOL_VERSION = 1001;

/** Reads a file in chunks, so a pickle of unknown length can be parsed without reading the whole file. */
class FileInput implements PickleInput {
  position = 0;
  private chunk = new Uint8Array(0);
  private chunkStart = 0;
  constructor(
    private readonly file: string,
    readonly size: number,
  ) {}
  private ensure(n: number): void {
    const have = this.chunkStart + this.chunk.length - this.position;
    if (have >= n) return;
    if (this.position + n > this.size) {
      throw new CheckpointFormatError(`truncated: wanted ${n} bytes at offset ${this.position}, the file has ${this.size}`, this.file);
    }
    const length = Math.min(this.size - this.position, Math.max(n, 1 << 20));
    const buf = new Uint8Array(length);
    readFileRange(this.file, this.position, length, buf);
    this.chunk = buf;
    this.chunkStart = this.position;
  }
  read(n: number): Uint8Array {
    this.ensure(n);
    const from = this.position - this.chunkStart;
    this.position += n;
    return this.chunk.subarray(from, from + n);
  }
  readLine(): string {
    for (let want = 256; ; want *= 2) {
      this.ensure(Math.min(want, this.size - this.position));
      const from = this.position - this.chunkStart;
      const end = this.chunk.indexOf(0x0a, from);
      if (end >= 0) {
        this.position = this.chunkStart + end + 1;
        return String.fromCharCode(...this.chunk.subarray(from, end));
      }
      if (this.position + want >= this.size) throw new CheckpointFormatError(`truncated: no end of line after offset ${this.position}`, this.file);
    }
  }
}

/** A storage's bytes, whose place in the file is known only once the whole pickle has been read. */
class DeferredSource implements ByteSource {
  target: ByteSource | undefined;
  constructor(readonly name: string) {}
  get byteLength(): number {
    return this.target?.byteLength ?? 0;
  }
  readInto(offset: number, length: number, into: Uint8Array): void {
    if (!this.target) throw new CheckpointFormatError('storage bytes were never located', this.name);
    this.target.readInto(offset, length, into);
  }
}

/** True when the first bytes look like the legacy format (a protocol 2+ pickle of a long integer). */
export function looksLegacy(head: Uint8Array): boolean {
  return head[0] === 0x80 && head[1] >= 2 && head[2] === 0x8a;
}

export function loadLegacyTorchFile(file: string): unknown {
  let size: number;
  const fd = openSync(file, 'r');
  try {
    size = fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
  const input = new FileInput(file, size);
  const magic = unpickle(input, { file });
  if (magic !== MAGIC) throw new CheckpointFormatError('not a PyTorch checkpoint (a pickle without torch.save\'s magic number)', file);
  const version = unpickle(input, { file });
  if (version !== PROTOCOL_VERSION) throw new CheckpointFormatError(`legacy torch.save protocol ${String(version)} (only ${PROTOCOL_VERSION} is read)`, file);
  const sysInfo = unpickle(input, { file }) as Record<string, unknown> | null;
  const bigEndian = sysInfo?.little_endian === false;

  const storages = new Map<string, { storage: TorchStorage; source: DeferredSource }>();
  const raw = unpickleRaw(input, {
    file,
    persistentLoad: (pid) =>
      storageFromPid(pid, file, (key, dtype, numel, view) => {
        let root = storages.get(key);
        if (!root) {
          const source = new DeferredSource(`${file}: storage ${key}`);
          root = { storage: new TorchStorage(dtype, numel, source, 0, bigEndian), source };
          storages.set(key, root);
        }
        if (!view) return root.storage;
        // An old-style storage view: `numel` elements from `offset` of the root storage.
        return new TorchStorage(dtype, view.numel, root.source, view.offset * DTYPE_BYTES[dtype], bigEndian);
      }),
  });
  const keys = unpickle(input, { file });
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) throw new CheckpointFormatError('the list of storage keys is missing after the pickle', file);

  let pos = input.position;
  const count = new Uint8Array(8);
  for (const key of keys as string[]) {
    if (pos + 8 > size) throw new CheckpointFormatError(`truncated: storage ${key} starts past the end of the file (offset ${pos}, file of ${size} bytes)`, file);
    readFileRange(file, pos, 8, count);
    const numel = Number(new DataView(count.buffer).getBigInt64(0, !bigEndian));
    const entry = storages.get(key);
    const elementSize = entry ? DTYPE_BYTES[entry.storage.dtype] : 1;
    const bytes = numel * elementSize;
    if (pos + 8 + bytes > size) throw new CheckpointFormatError(`truncated: storage ${key} needs ${bytes} bytes at offset ${pos + 8}, the file has ${size}`, file);
    if (entry) {
      if (numel < entry.storage.numel) throw new CheckpointFormatError(`storage ${key} holds ${numel} elements, the pickle says ${entry.storage.numel}`, file);
      entry.source.target = new FileRangeSource(entry.source.name, file, pos + 8, bytes);
    }
    pos += 8 + bytes;
  }
  for (const [key, entry] of storages) {
    if (!entry.source.target) throw new CheckpointFormatError(`the pickle refers to storage ${key}, which the file does not hold`, file);
  }
  return toPlain(raw, file);
}
