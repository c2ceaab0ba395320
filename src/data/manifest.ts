import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { InputError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/atomic.ts';

/** A fairseq manifest: a root folder, then one `relative/path<TAB>num_samples` line per utterance. */
export interface Manifest {
  root: string;
  entries: ManifestEntry[];
}
export interface ManifestEntry {
  /** Path relative to `root` as written in the file. */
  path: string;
  /** Number of samples (at the rate the manifest was made for). */
  numSamples: number;
}

/** Parses a fairseq `.tsv` manifest; errors name the file and line. */
export function readManifest(file: string): Manifest {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read manifest: ${(e as Error).message}`, { file });
  }
  const lines = text.split('\n');
  if (lines.length === 0 || lines[0].trim() === '') throw new InputError('empty manifest (the first line must be the root folder)', { file });
  const root = lines[0].trim();
  const entries: ManifestEntry[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const parts = line.split('\t');
    const n = Number(parts[1]);
    if (parts.length < 2 || !Number.isInteger(n) || n < 0) {
      throw new InputError(`line ${i + 1}: expected "path<TAB>num_samples", got "${line.slice(0, 80)}"`, { file });
    }
    entries.push({ path: parts[0], numSamples: n });
  }
  return { root, entries };
}

/** Absolute (or root-joined) path of an entry. */
export function entryPath(m: Manifest, e: ManifestEntry): string {
  return isAbsolute(e.path) ? e.path : join(m.root, e.path);
}

export function formatManifest(m: Manifest): string {
  return [m.root, ...m.entries.map((e) => `${e.path}\t${e.numSamples}`)].join('\n') + '\n';
}

/** Writes a manifest atomically. */
export function writeManifest(file: string, m: Manifest): void {
  writeFileAtomic(file, formatManifest(m));
}
