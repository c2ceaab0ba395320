/**
 * Per-file SHA-256 checksums of a checkpoint folder, in `checksums.sha256` (the `sha256sum` layout:
 * `<hex>  <name>` a line, so `sha256sum -c checksums.sha256` checks a folder by hand too). Written after
 * the files they cover, checked before anything is read from them: a flipped byte in a tensor file is an
 * error naming the file, never weights that load silently wrong.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { InputError } from '../util/errors.ts';

export const CHECKSUM_FILE = 'checksums.sha256';

/** Hex SHA-256 of a file, read in 4 MiB pieces. */
export function sha256File(path: string): string {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(4 << 20);
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** Writes `checksums.sha256` for `files` (names inside `dir`). */
export function writeChecksums(dir: string, files: readonly string[]): void {
  writeFileSync(join(dir, CHECKSUM_FILE), files.map((f) => `${sha256File(join(dir, f))}  ${f}\n`).join(''));
}

/** The recorded checksums of a folder, or null when it has none (written before checksums existed). */
export function readChecksums(dir: string): Map<string, string> | null {
  const file = join(dir, CHECKSUM_FILE);
  if (!existsSync(file)) return null;
  const out = new Map<string, string>();
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (!line) return;
      const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
      if (!m) throw new InputError(`line ${i + 1} is not "<sha256>  <file>"`, { file });
      out.set(m[2], m[1]);
    });
  return out;
}

/**
 * Checks `files` of `dir` against its checksums.sha256. Throws an InputError naming the damaged file;
 * returns false when the folder has no checksums (nothing to check), true when every file matched.
 */
export function verifyChecksums(dir: string, files: readonly string[]): boolean {
  const sums = readChecksums(dir);
  if (!sums) return false;
  for (const f of files) {
    const want = sums.get(f);
    if (!want) throw new InputError(`${CHECKSUM_FILE} has no checksum for ${f}`, { file: dir });
    const path = join(dir, f);
    if (!existsSync(path)) throw new InputError(`${f} is missing`, { file: dir });
    const got = sha256File(path);
    if (got !== want) throw new InputError(`checksum mismatch: the file is damaged (sha256 ${got.slice(0, 16)}..., recorded ${want.slice(0, 16)}...)`, { file: path });
  }
  return true;
}
