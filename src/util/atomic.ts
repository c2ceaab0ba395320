import { mkdirSync, renameSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';

let counter = 0;

/** A temp path in the same folder as `path` (so a rename is atomic on one filesystem). */
export function tempPathFor(path: string): string {
  counter += 1;
  return join(dirname(path), `.${basename(path)}.${process.pid}.${counter}.tmp`);
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
