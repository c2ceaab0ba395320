import { readFileSync } from 'node:fs';
import { InputError, errorMessage } from '../util/errors.ts';
import { readManifest } from '../data/manifest.ts';
import { openFeatureSet, readUtterance, type FeatureSet, type FeatureUtterance } from '../cluster/feature-set.ts';
import { orderByManifest } from '../cluster/label-features.ts';
import { meanPool } from './utterance-fields.ts';

/**
 * Features on disk with a name per utterance, the input of `speech-ssl eval`: a per-utterance folder
 * (names are the relative paths), or shards / a matrix whose names come from the manifest they were dumped
 * from or from a names file (one name per line, in feature order).
 */
export interface EvalCorpus {
  set: FeatureSet;
  utterances: FeatureUtterance[];
  names: string[];
}

export interface EvalCorpusOptions {
  split?: string;
  manifest?: string;
  namesFile?: string;
}

export function openEvalCorpus(path: string, o: EvalCorpusOptions = {}): EvalCorpus {
  const set = openFeatureSet(path, o.split);
  if (o.manifest) {
    const m = readManifest(o.manifest);
    return { set, utterances: orderByManifest(set, m, o.manifest), names: m.entries.map((e) => e.path) };
  }
  if (o.namesFile) {
    let text: string;
    try {
      text = readFileSync(o.namesFile, 'utf8');
    } catch (e) {
      throw new InputError(`cannot read names: ${errorMessage(e)}`, { file: o.namesFile });
    }
    const names = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
    if (names.length !== set.utterances.length) throw new InputError(`${names.length} names for ${set.utterances.length} utterances of features`, { file: o.namesFile });
    return { set, utterances: set.utterances, names };
  }
  if (set.kind !== 'folder') throw new InputError('shard or matrix features need --manifest or --names to know each utterance\'s name', { file: path });
  return { set, utterances: set.utterances, names: set.utterances.map((u) => u.id) };
}

/** Reads every utterance (all failures reported together). */
export function readAllUtterances(c: EvalCorpus): Float32Array[] {
  const failures: string[] = [];
  const out = c.utterances.map((u, i) => {
    try {
      const x = readUtterance(c.set, u);
      if (u.frames === 0) throw new Error('no frames');
      for (let j = 0; j < x.length; j++) if (!Number.isFinite(x[j])) throw new Error(`non-finite value at frame ${Math.floor(j / c.set.dims)}`);
      return x;
    } catch (e) {
      failures.push(`${c.names[i]}: ${errorMessage(e)}`);
      return new Float32Array(0);
    }
  });
  if (failures.length) throw new InputError(`${failures.length} utterance(s) unusable: ${failures.slice(0, 10).join('; ')}${failures.length > 10 ? '; ...' : ''}`);
  return out;
}

/** Mean-pooled features, row-major [utterances, dims]. */
export function pooledFeatures(c: EvalCorpus): Float32Array {
  const d = c.set.dims;
  const out = new Float32Array(c.utterances.length * d);
  readAllUtterances(c).forEach((x, i) => out.set(meanPool(x, d), i * d));
  return out;
}

/** Rows `idx` of a row-major matrix. */
export function takeRows(x: Float32Array, dims: number, idx: number[]): Float32Array {
  const out = new Float32Array(idx.length * dims);
  idx.forEach((r, i) => out.set(x.subarray(r * dims, r * dims + dims), i * dims));
  return out;
}

/** A plain-text table with aligned columns. */
export function formatTable(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((v) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(4)) : v)))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  return cells.map((r) => r.map((v, c) => v.padEnd(widths[c])).join('  ').trimEnd()).join('\n') + '\n';
}
