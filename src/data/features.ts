import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { readNpyHeader, readNpyRows } from '../util/npy.ts';
import { InputError } from '../util/errors.ts';
import { readManifest } from './manifest.ts';
import { KmLabels, checkLabelCounts, type LabelSpec } from './labels.ts';
import type { LabelSetInfo, SequenceDataset } from './sequence.ts';

export type { LabelSpec };

/**
 * Feature datasets: fairseq shard files (`{split}_{rank}_{nshard}.npy` [total_frames, dims] plus `.len`,
 * frames per utterance one a line) or a folder of per-utterance `.npy` [frames, dims]. Rows are read on
 * demand (only the crop), never the whole corpus. Optional `.km` label sets are checked against the frame
 * counts up front, so a label-rate mistake fails before training starts, naming the file and line.
 */
interface Segment {
  file: string;
  /** First row of the utterance within `file`. */
  row: number;
  frames: number;
  id: string;
}

export class FeatureDataset implements SequenceDataset {
  readonly isWaveform = false;
  readonly dims: number;
  readonly labelSets: LabelSetInfo[];
  private readonly labelFiles: KmLabels[];

  private constructor(private readonly segments: Segment[], dims: number, labels: LabelSpec[]) {
    if (segments.length === 0) throw new InputError('no utterances found', { file: segments[0]?.file });
    this.dims = dims;
    this.labelFiles = labels.map((l) => new KmLabels(l.file));
    this.labelSets = labels.map((l, k) => ({ file: l.file, perFrame: l.perFrame, numClasses: this.labelFiles[k].numClasses }));
    labels.forEach((spec, k) => checkLabelCounts(this.labelFiles[k], spec, segments.map((g) => g.frames), (i) => segments[i].id));
  }

  /**
   * Shards: `path` is one shard `.npy`, or a prefix `dir/split` whose `split_<rank>_<n>.npy` files are
   * all read in rank order (their `.len` beside each).
   */
  static fromShards(path: string, labels: LabelSpec[] = []): FeatureDataset {
    const files = shardFiles(path);
    const segments: Segment[] = [];
    let dims = -1;
    for (const file of files) {
      const h = readNpyHeader(file);
      if (h.descr !== '<f4' || h.shape.length !== 2) throw new InputError(`expected a 2-D float32 array, found ${h.descr} ${JSON.stringify(h.shape)}`, { file });
      if (dims >= 0 && h.shape[1] !== dims) throw new InputError(`has ${h.shape[1]} dims, earlier shards have ${dims}`, { file });
      dims = h.shape[1];
      const lenFile = file.replace(/\.npy$/, '.len');
      if (!existsSync(lenFile)) throw new InputError('missing the .len file beside the shard (frames per utterance, one a line)', { file: lenFile });
      const lens = readFileSync(lenFile, 'utf8').split('\n').filter((l) => l.trim() !== '');
      let row = 0;
      lens.forEach((l, i) => {
        const n = Number(l.trim());
        if (!Number.isInteger(n) || n < 0) throw new InputError(`line ${i + 1}: expected a frame count, got "${l.slice(0, 40)}"`, { file: lenFile });
        segments.push({ file, row, frames: n, id: `${basename(file)}:${i}` });
        row += n;
      });
      if (row !== h.shape[0]) throw new InputError(`the .len lines sum to ${row} frames, the shard has ${h.shape[0]} rows`, { file: lenFile });
    }
    return new FeatureDataset(segments, dims, labels);
  }

  /**
   * Per-utterance `.npy` files under `dir`. With a manifest, the order (and so the `.km` line order)
   * follows it, each audio path with its extension replaced by `.npy`; without, every `.npy` under `dir`
   * in sorted order.
   */
  static fromFolder(dir: string, manifest?: string, labels: LabelSpec[] = []): FeatureDataset {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError('feature folder not found', { file: dir });
    const rel = manifest ? readManifest(manifest).entries.map((e) => e.path.replace(/\.[^./]+$/, '') + '.npy') : listNpy(dir).map((f) => relative(dir, f));
    let dims = -1;
    const segments = rel.map((r): Segment => {
      const file = join(dir, r);
      if (!existsSync(file)) throw new InputError(`no features for manifest entry "${r}"`, { file });
      const h = readNpyHeader(file);
      if (h.descr !== '<f4' || h.shape.length !== 2) throw new InputError(`expected a 2-D float32 array, found ${h.descr} ${JSON.stringify(h.shape)}`, { file });
      if (dims >= 0 && h.shape[1] !== dims) throw new InputError(`has ${h.shape[1]} dims, other files have ${dims}`, { file });
      dims = h.shape[1];
      return { file, row: 0, frames: h.shape[0], id: r };
    });
    return new FeatureDataset(segments, dims, labels);
  }

  get size(): number {
    return this.segments.length;
  }

  length(i: number): number {
    return this.segments[i].frames;
  }

  id(i: number): string {
    return this.segments[i].id;
  }

  read(i: number, start: number, end: number): Float32Array {
    const s = this.segments[i];
    if (!(start >= 0 && end <= s.frames && start <= end)) throw new Error(`${s.id}: frames [${start}, ${end}) outside [0, ${s.frames})`);
    return readNpyRows(s.file, s.row + start, s.row + end);
  }

  labels(set: number, i: number): Int32Array {
    return this.labelFiles[set].line(i);
  }
}

function shardFiles(path: string): string[] {
  if (path.endsWith('.npy')) {
    if (!existsSync(path)) throw new InputError('shard file not found', { file: path });
    return [path];
  }
  const dir = dirname(path);
  const split = basename(path);
  if (!existsSync(dir)) throw new InputError('folder of the shard prefix not found', { file: path });
  const re = new RegExp(`^${split.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}_(\\d+)_(\\d+)\\.npy$`);
  const found = readdirSync(dir)
    .map((f) => re.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ rank: Number(m[1]), n: Number(m[2]), file: join(dir, m[0]) }));
  if (found.length === 0) throw new InputError(`no shard files ${split}_<rank>_<nshard>.npy`, { file: path });
  const n = found[0].n;
  if (found.some((f) => f.n !== n)) throw new InputError(`shard files with different shard counts: ${found.map((f) => basename(f.file)).join(', ')}`, { file: path });
  found.sort((a, b) => a.rank - b.rank);
  const ranks = found.map((f) => f.rank);
  const missing = Array.from({ length: n }, (_, r) => r).filter((r) => !ranks.includes(r));
  if (missing.length) throw new InputError(`missing shard(s) ${missing.map((r) => `${split}_${r}_${n}.npy`).join(', ')}`, { file: path });
  return found.map((f) => f.file);
}

function listNpy(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.npy')) out.push(p);
    }
  };
  walk(dir);
  if (out.length === 0) throw new InputError('no .npy files in the feature folder', { file: dir });
  return out;
}
