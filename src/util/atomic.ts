import { mkdirSync, renameSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { randomBytes } from 'node:crypto';
import { isWriteFailure } from './write-failure.ts';

/**
 * A temp path in the same folder as `path` (so a rename is atomic on one filesystem), unique to this
 * process and call: `.<name>.<pid>.<16 random hex>.tmp`. Two processes writing into one folder never
 * share a temp file, and the pid says whose it is (`tempOwner`), so a cleanup takes only leftovers of
 * processes that are gone.
 */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(8).toString('hex')}.tmp`);
}

const TEMP_NAME = /^\.(.+)\.(\d+)\.[0-9a-f]+\.tmp(\.old)?$/;

/** For a temp name made by `tempPathFor`: the final name it was for and the pid that wrote it. */
export function tempOwner(name: string): { target: string; pid: number } | null {
  const m = TEMP_NAME.exec(name);
  return m ? { target: m[1], pid: Number(m[2]) } : null;
}

/** Whether a process with this pid runs on this machine (a process we may not signal counts as running). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A temp file or folder left by a process that is gone (safe to delete). */
export function isStaleTemp(name: string): boolean {
  const o = tempOwner(name);
  return o !== null && !processAlive(o.pid);
}

/** Writes `data` to `path` atomically: a temp file in the same folder, then a rename. Creates folders. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    if (existsSync(tmp)) rmSync(tmp, { force: true });
    // Name the file the caller asked for, not the temp name.
    if (isWriteFailure(e)) e.path = path;
    throw e;
  }
}

/**
 * Replaces folder `path` atomically with a folder filled by `fill(tmpDir)`: the new folder is built
 * beside it, then renamed over (the old one is moved aside first and removed after).
 */
export function writeDirAtomic(path: string, fill: (tmpDir: string) => void): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    fill(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  const old = existsSync(path) ? tempPathFor(path) + '.old' : null;
  if (old) renameSync(path, old);
  renameSync(tmp, path);
  if (old) rmSync(old, { recursive: true, force: true });
}
