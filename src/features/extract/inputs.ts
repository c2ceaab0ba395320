/**
 * What `extract` works on: a folder (scanned recursively for .wav/.flac, sorted by relative path), a fairseq
 * manifest (its order kept, so outputs line up with its lines), or a list of files (sorted, relative to
 * their common folder). `shardRange` cuts the list into contiguous slices exactly as fairseq's HuBERT
 * feature dumpers do, so N independent jobs cover it with no coordination.
 */
import { statSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import { InputError } from '../../util/errors.ts';
import { entryPath, readManifest } from '../../data/manifest.ts';
import { scanAudioFolder } from '../../data/audio-files.ts';

export interface InputItem {
  /** Path to read. */
  path: string;
  /** Relative path naming the output (and seeding per-utterance randomness). */
  rel: string;
}

export interface InputList {
  kind: 'folder' | 'manifest' | 'files';
  items: InputItem[];
  /** Split name for shard files: the manifest's base name (train.tsv -> train). */
  manifestSplit?: string;
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function listInputs(positionals: string[]): InputList {
  if (positionals.length === 0) throw new InputError('no input: give a folder, a manifest .tsv, or audio files');
  if (positionals.length === 1 && isDirectory(positionals[0])) {
    const root = resolve(positionals[0]);
    const rels = scanAudioFolder(root);
    if (rels.length === 0) throw new InputError(`no .wav or .flac files found`, { file: positionals[0] });
    return { kind: 'folder', items: rels.map((rel) => ({ path: join(root, rel), rel })) };
  }
  if (positionals.length === 1 && positionals[0].endsWith('.tsv')) {
    const m = readManifest(positionals[0]);
    if (m.entries.length === 0) throw new InputError('manifest lists no files', { file: positionals[0] });
    const split = basename(positionals[0], '.tsv');
    const items = m.entries.map((e, i) => {
      const rel = e.path.replace(/^\/+/, '');
      if (rel.split('/').includes('..')) throw new InputError(`line ${i + 2}: path "${e.path}" climbs out of the root with ".."; outputs could not mirror it`, { file: positionals[0] });
      return { path: entryPath(m, e), rel };
    });
    return { kind: 'manifest', manifestSplit: split, items };
  }
  const dirs = positionals.filter(isDirectory);
  if (dirs.length > 0) throw new InputError(`give one folder, or files only (got folder${dirs.length > 1 ? 's' : ''} ${dirs.join(', ')} among ${positionals.length} inputs)`);
  const abs = positionals.map((p) => resolve(p));
  let common = dirname(abs[0]);
  for (const p of abs) while (!(p + sep).startsWith(common === sep ? sep : common + sep)) common = dirname(common);
  const items = abs.map((p) => ({ path: p, rel: relative(common, p).split(sep).join('/') })).sort((a, b) => byCodeUnits(a.rel, b.rel));
  return { kind: 'files', items };
}

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** [start, end) of shard `rank` of `nshard` over `total` items (fairseq's get_shard_range). */
export function shardRange(total: number, rank: number, nshard: number): [number, number] {
  if (!Number.isInteger(rank) || !Number.isInteger(nshard) || nshard < 1 || rank < 0 || rank >= nshard) {
    throw new InputError(`expected I/N with 0 <= I < N, got ${rank}/${nshard}`, { field: '--shard' });
  }
  return [roundHalfEven((total / nshard) * rank), roundHalfEven((total / nshard) * (rank + 1))];
}

/** Parses `I/N`. */
export function parseShard(s: string): { rank: number; nshard: number } {
  const m = /^(\d+)\/(\d+)$/.exec(s.trim());
  if (!m) throw new InputError(`expected I/N (e.g. 0/4), got "${s}"`, { field: '--shard' });
  const rank = Number(m[1]);
  const nshard = Number(m[2]);
  shardRange(1, rank, nshard);
  return { rank, nshard };
}

/** Output path of an input: its relative path under `outDir` with the extension replaced by .npy. */
export function outputPathFor(outDir: string, rel: string): string {
  const ext = extname(rel);
  return join(outDir, (ext ? rel.slice(0, -ext.length) : rel) + '.npy');
}
