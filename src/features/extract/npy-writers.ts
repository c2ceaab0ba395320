/**
 * Feature writers. `writeMatrixNpy` writes one float32 [frames, dims] .npy atomically without copying the
 * data (header and rows are two writes to a temp file, then a rename). `ConcatShardWriter` appends
 * utterances to a fairseq shard `{split}_{rank}_{nshard}.npy` + `.len` on disk as they come (a header with
 * room for any shape is patched at the end), so a shard of any size takes constant memory, and renames
 * both into place only when complete.
 */
import { closeSync, existsSync, openSync, renameSync, rmSync, writeSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { tempPathFor } from '../../util/atomic.ts';
import { encodeNpyHeader } from '../../util/npy.ts';
import type { FeatureMatrix } from '../../audio/feature-matrix.ts';

/** Header bytes of a version-1.0 float32 .npy of `shape`, padded to `total` bytes (a multiple of 64). */
function npyHeader(shape: number[], total?: number): Uint8Array {
  return encodeNpyHeader('<f4', shape, total);
}

function bytesOf(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function writeAll(fd: number, bytes: Uint8Array, position?: number): void {
  let off = 0;
  while (off < bytes.length) {
    off += writeSync(fd, bytes, off, bytes.length - off, position === undefined ? null : position + off);
  }
}

/** Writes `m` as a float32 .npy at `path`, atomically. */
export function writeMatrixNpy(path: string, m: FeatureMatrix): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  let fd = -1;
  try {
    fd = openSync(tmp, 'w');
    writeAll(fd, npyHeader([m.frames, m.dims]));
    writeAll(fd, bytesOf(m.data.subarray(0, m.frames * m.dims)));
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}

const RESERVED_HEADER = 128;

export class ConcatShardWriter {
  private readonly tmpNpy: string;
  private readonly tmpLen: string;
  private readonly fd: number;
  private frames = 0;
  private dims = -1;
  private readonly lengths: number[] = [];

  constructor(readonly npyPath: string, readonly lenPath: string) {
    mkdirSync(dirname(npyPath), { recursive: true });
    this.tmpNpy = tempPathFor(npyPath);
    this.tmpLen = tempPathFor(lenPath);
    this.fd = openSync(this.tmpNpy, 'w');
    writeAll(this.fd, new Uint8Array(RESERVED_HEADER));
  }

  get utterances(): number {
    return this.lengths.length;
  }

  append(m: FeatureMatrix): void {
    if (this.dims < 0) this.dims = m.dims;
    if (m.dims !== this.dims) throw new Error(`shard ${this.npyPath}: utterance has ${m.dims} dims, earlier ones ${this.dims}`);
    writeAll(this.fd, bytesOf(m.data.subarray(0, m.frames * m.dims)));
    this.frames += m.frames;
    this.lengths.push(m.frames);
  }

  /** Patches the header, writes the .len, renames both into place. */
  finish(dims: number): void {
    if (this.dims < 0) this.dims = dims;
    writeAll(this.fd, npyHeader([this.frames, this.dims], RESERVED_HEADER), 0);
    closeSync(this.fd);
    const lenFd = openSync(this.tmpLen, 'w');
    writeAll(lenFd, new TextEncoder().encode(this.lengths.map((n) => `${n}\n`).join('')));
    closeSync(lenFd);
    renameSync(this.tmpLen, this.lenPath);
    renameSync(this.tmpNpy, this.npyPath);
  }

  /** Removes the temp files (after an error). */
  abort(): void {
    try {
      closeSync(this.fd);
    } catch {
      /* already closed */
    }
    for (const p of [this.tmpNpy, this.tmpLen]) if (existsSync(p)) rmSync(p, { force: true });
  }
}
