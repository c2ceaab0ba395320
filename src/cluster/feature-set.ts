import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { InputError } from '../util/errors.ts';
import { readNpy, readNpyHeader, readNpyRows } from '../util/npy.ts';
import type { Rng } from '../util/rng.ts';

/**
 * Features on disk, as the project writes them (DESIGN.md "File formats"):
 * - fairseq shard files `{split}_{rank}_{nshard}.npy` (float32 [frames, dims], utterances concatenated)
 *   with `.len` beside each (frames per utterance, one a line); all ranks of a split are read in order;
 * - one plain 2-D `.npy` matrix, with an optional `.len` beside it (without one, every row is a unit);
 * - a folder of per-utterance `.npy` files (found recursively, in sorted path order).
 * Utterances are read one at a time (row ranges of the shards), never the whole corpus at once.
 */
export interface FeatureUtterance {
  /** Shard order index, or the path relative to the folder without `.npy` for per-utterance folders. */
  id: string;
  file: string;
  /** First row inside `file`. */
  offset: number;
  frames: number;
}

export interface FeatureSet {
  kind: 'shards' | 'matrix' | 'folder';
  dims: number;
  utterances: FeatureUtterance[];
  totalFrames: number;
  /** The files read (for reports and sidecars). */
  files: string[];
}

const SHARD_RE = /^(.+)_(\d+)_(\d+)\.npy$/;

/** Opens `path` (a `.npy` file, a shard folder with `split`, or a per-utterance folder). */
export function openFeatureSet(path: string, split?: string): FeatureSet {
  if (!existsSync(path)) throw new InputError('no such file or folder', { file: path });
  if (statSync(path).isFile()) return openMatrix(path);
  const shards = readdirSync(path).filter((f) => SHARD_RE.test(f) && (split === undefined || SHARD_RE.exec(f)![1] === split));
  const splits = [...new Set(shards.map((f) => SHARD_RE.exec(f)![1]))];
  if (split !== undefined && shards.length === 0) throw new InputError(`no shard files ${split}_<rank>_<nshard>.npy here`, { file: path });
  if (splits.length > 1) throw new InputError(`shards of several splits here (${splits.join(', ')}): pass the split`, { file: path });
  if (shards.length > 0 && existsSync(join(path, shards[0].replace(/\.npy$/, '.len')))) return openShards(path, splits[0], shards);
  return openFolder(path);
}

function readLengths(file: string, rows: number, npyFile: string): number[] {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const lens = lines.map((l, i) => {
    const v = Number(l.trim());
    if (!Number.isInteger(v) || v < 0) throw new InputError(`line ${i + 1}: expected a frame count, got "${l.slice(0, 40)}"`, { file });
    return v;
  });
  const sum = lens.reduce((a, b) => a + b, 0);
  if (sum !== rows) throw new InputError(`lengths add up to ${sum} frames but ${npyFile} has ${rows} rows`, { file });
  return lens;
}

function matrixHeader(file: string): { rows: number; dims: number } {
  const h = readNpyHeader(file);
  if (h.descr !== '<f4' || h.shape.length !== 2) throw new InputError(`expected a 2-D float32 array, found ${h.descr} ${JSON.stringify(h.shape)}`, { file });
  return { rows: h.shape[0], dims: h.shape[1] };
}

function utterancesOf(file: string, lens: number[], idPrefix: number): FeatureUtterance[] {
  let offset = 0;
  return lens.map((frames, i) => {
    const u = { id: String(idPrefix + i), file, offset, frames };
    offset += frames;
    return u;
  });
}

function openMatrix(file: string): FeatureSet {
  const { rows, dims } = matrixHeader(file);
  const lenFile = file.replace(/\.npy$/, '.len');
  const lens = existsSync(lenFile) ? readLengths(lenFile, rows, file) : new Array<number>(rows).fill(1);
  return { kind: 'matrix', dims, utterances: utterancesOf(file, lens, 0), totalFrames: rows, files: [file] };
}

function openShards(dir: string, split: string, names: string[]): FeatureSet {
  const nshards = new Set(names.map((f) => Number(SHARD_RE.exec(f)![3])));
  if (nshards.size !== 1) throw new InputError(`shards of split ${split} disagree on the shard count (${[...nshards].join(', ')})`, { file: dir });
  const n = [...nshards][0];
  const utterances: FeatureUtterance[] = [];
  const files: string[] = [];
  let dims = -1;
  let total = 0;
  for (let rank = 0; rank < n; rank++) {
    const file = join(dir, `${split}_${rank}_${n}.npy`);
    if (!existsSync(file)) throw new InputError(`missing shard ${rank} of ${n} (${basename(file)})`, { file: dir });
    const lenFile = file.replace(/\.npy$/, '.len');
    if (!existsSync(lenFile)) throw new InputError(`missing ${basename(lenFile)} beside the shard`, { file: dir });
    const h = matrixHeader(file);
    if (dims >= 0 && h.dims !== dims) throw new InputError(`has ${h.dims} dims, other shards ${dims}`, { file });
    dims = h.dims;
    utterances.push(...utterancesOf(file, readLengths(lenFile, h.rows, file), utterances.length));
    files.push(file);
    total += h.rows;
  }
  return { kind: 'shards', dims, utterances, totalFrames: total, files };
}

function listNpy(dir: string, out: string[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) listNpy(p, out);
    else if (e.isFile() && e.name.endsWith('.npy')) out.push(p);
  }
}

function openFolder(dir: string): FeatureSet {
  const files: string[] = [];
  listNpy(dir, files);
  files.sort();
  if (files.length === 0) throw new InputError('no .npy files (nor shard files with .len) in this folder', { file: dir });
  let dims = -1;
  let total = 0;
  const utterances = files.map((file) => {
    const { rows, dims: d } = matrixHeader(file);
    if (dims >= 0 && d !== dims) throw new InputError(`has ${d} dims, the first file ${dims}`, { file });
    dims = d;
    total += rows;
    return { id: relative(dir, file).split(sep).join('/').replace(/\.npy$/, ''), file, offset: 0, frames: rows };
  });
  return { kind: 'folder', dims, utterances, totalFrames: total, files };
}

/** Frames of one utterance, row-major [frames, dims]. */
export function readUtterance(set: FeatureSet, u: FeatureUtterance): Float32Array {
  if (set.kind === 'folder') return readNpy(u.file).data as Float32Array;
  return readNpyRows(u.file, u.offset, u.offset + u.frames);
}

/**
 * Utterances drawn without replacement, fairseq's `--percent` (learn_kmeans.py): a fraction in (0, 1]
 * (0.1 = 10%), ceil(fraction * count) of them; a negative value or 1 keeps all. Result in corpus order.
 */
export function sampleUtterances(set: FeatureSet, fraction: number, rng: Rng): FeatureUtterance[] {
  if (fraction < 0 || fraction === 1) return set.utterances;
  if (!(fraction > 0 && fraction <= 1)) throw new InputError(`expected a fraction in (0, 1] as fairseq's learn_kmeans.py takes it (0.1 = 10%), or -1 for all; got ${fraction}`, { field: '--percent' });
  const n = set.utterances.length;
  const m = Math.ceil(n * fraction);
  const pick = rng.permutation(n).slice(0, m).sort((a, b) => a - b);
  return pick.map((i) => set.utterances[i]);
}

/** Concatenates the frames of `utterances` into one [frames, dims] matrix (reading contiguous runs at once). */
export function loadFrames(set: FeatureSet, utterances: FeatureUtterance[]): { data: Float32Array; frames: number } {
  const frames = utterances.reduce((a, u) => a + u.frames, 0);
  const data = new Float32Array(frames * set.dims);
  let at = 0;
  for (let i = 0; i < utterances.length; ) {
    let j = i + 1;
    if (set.kind !== 'folder') {
      while (j < utterances.length && utterances[j].file === utterances[i].file && utterances[j].offset === utterances[j - 1].offset + utterances[j - 1].frames) j++;
    }
    const first = utterances[i], last = utterances[j - 1];
    const rows = set.kind === 'folder' ? readUtterance(set, first) : readNpyRows(first.file, first.offset, last.offset + last.frames);
    data.set(rows, at);
    at += rows.length;
    i = j;
  }
  return { data, frames };
}
