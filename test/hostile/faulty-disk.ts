/**
 * A full or read-only disk under one folder, simulated in this process: node:fs's writing functions are
 * wrapped (and the ES module bindings resynced with `syncBuiltinESMExports`, so code that imported them by
 * name sees the wrappers) to fail with ENOSPC once a byte budget is spent, or with EROFS on any write.
 * Tests need no root, tmpfs or quota; `restore()` puts the real functions back.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { resolve, sep } from 'node:path';

function fsError(code: 'ENOSPC' | 'EROFS', syscall: string, path?: string): NodeJS.ErrnoException {
  const text = code === 'ENOSPC' ? 'no space left on device' : 'read-only file system';
  const e = new Error(`${code}: ${text}, ${syscall}${path ? ` '${path}'` : ''}`) as NodeJS.ErrnoException;
  e.code = code;
  e.syscall = syscall;
  if (path) e.path = path;
  return e;
}

export interface FaultyDisk {
  restore(): void;
}

/** Every write under `root` fails with `code` once `budget` bytes have been written there (EROFS: at once). */
export function faultyDisk(root: string, code: 'ENOSPC' | 'EROFS', budget = 0): FaultyDisk {
  const base = resolve(root) + sep;
  const under = (p: unknown) => typeof p === 'string' && (resolve(p) + sep).startsWith(base);
  const real = { openSync: fs.openSync, writeSync: fs.writeSync, writeFileSync: fs.writeFileSync, mkdirSync: fs.mkdirSync, appendFileSync: fs.appendFileSync };
  const fds = new Set<number>();
  let used = 0;
  const spend = (n: number, syscall: string, path?: string) => {
    if (code === 'EROFS' || used + n > budget) {
      used = Infinity; // full stays full: every later write fails too
      throw fsError(code, syscall, path);
    }
    used += n;
  };
  const sizeOf = (d: unknown) => (typeof d === 'string' ? Buffer.byteLength(d) : (d as ArrayBufferView).byteLength);
  const f = fs as unknown as Record<string, unknown>;
  f.openSync = (path: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode) => {
    const writing = typeof flags === 'string' && /[wa+]/.test(flags);
    if (writing && under(path) && code === 'EROFS') throw fsError(code, 'open', String(path));
    const fd = real.openSync(path, flags ?? 'r', mode);
    if (writing && under(path)) fds.add(fd);
    return fd;
  };
  f.writeSync = (fd: number, buf: NodeJS.ArrayBufferView | string, ...rest: unknown[]) => {
    if (fds.has(fd)) {
      const length = typeof rest[1] === 'number' ? rest[1] : sizeOf(buf);
      spend(length, 'write');
    }
    return (real.writeSync as (...a: unknown[]) => number)(fd, buf, ...rest);
  };
  f.writeFileSync = (path: fs.PathOrFileDescriptor, data: string | NodeJS.ArrayBufferView, opts?: fs.WriteFileOptions) => {
    if (under(path)) spend(sizeOf(data), 'write', String(path));
    return real.writeFileSync(path, data, opts);
  };
  f.appendFileSync = (path: fs.PathOrFileDescriptor, data: string | Uint8Array, opts?: fs.WriteFileOptions) => {
    if (under(path)) spend(sizeOf(data), 'write', String(path));
    return real.appendFileSync(path, data, opts);
  };
  f.mkdirSync = (path: fs.PathLike, opts?: fs.MakeDirectoryOptions) => {
    if (under(path) && code === 'EROFS' && !fs.existsSync(path)) throw fsError(code, 'mkdir', String(path));
    return real.mkdirSync(path, opts);
  };
  syncBuiltinESMExports();
  return {
    restore() {
      Object.assign(f, real);
      syncBuiltinESMExports();
    },
  };
}

/** Runs `work` (made of this process's writes) with `root` on a faulty disk, then puts the real disk back. */
export async function withFaultyDisk<T>(root: string, code: 'ENOSPC' | 'EROFS', budget: number, work: () => Promise<T>): Promise<T> {
  const disk = faultyDisk(root, code, budget);
  try {
    return await work();
  } finally {
    disk.restore();
  }
}
