import { basename } from 'node:path';
import { InputError } from '../util/errors.ts';

/**
 * Labels and groups from file names: FSDD names are `{digit}_{speaker}_{index}`, so the digit is field 0
 * and the speaker field 1 of the basename split on `_`; a regex with one capture group does the same for
 * other layouts (e.g. `^([a-z]+)/` for a folder-per-word corpus on the relative path).
 */
export type FieldSpec = { index: number; separator: string } | { regex: RegExp };

export function parseFieldSpec(value: string, what: string): FieldSpec {
  if (/^\d+$/.test(value)) return { index: Number(value), separator: '_' };
  try {
    const regex = new RegExp(value);
    return { regex };
  } catch (e) {
    throw new InputError(`not a field index or a valid regex: ${(e as Error).message}`, { field: what });
  }
}

/** The field of `name` (a path or id: index fields use the basename without extension; a regex the whole name). */
export function fieldOf(name: string, spec: FieldSpec): string {
  if ('regex' in spec) {
    const m = spec.regex.exec(name);
    if (!m) throw new InputError(`"${name}" does not match ${spec.regex}`);
    return m[1] ?? m[0];
  }
  const stem = basename(name).replace(/\.[^.]+$/, '');
  const parts = stem.split(spec.separator);
  if (spec.index >= parts.length) throw new InputError(`"${stem}" has no field ${spec.index} (split on "${spec.separator}")`);
  return parts[spec.index];
}

/** Dense ids for string values in sorted order (numeric strings sort as numbers). */
export function encodeValues(values: string[]): { ids: Int32Array; names: string[] } {
  const names = [...new Set(values)].sort((a, b) => {
    const na = Number(a), nb = Number(b);
    return Number.isFinite(na) && Number.isFinite(nb) ? na - nb : a < b ? -1 : a > b ? 1 : 0;
  });
  const index = new Map(names.map((n, i) => [n, i]));
  return { ids: Int32Array.from(values, (v) => index.get(v)!), names };
}

/** Train/test index splits. */
export interface Fold {
  name: string;
  train: number[];
  test: number[];
}

/** One fold per group: that group is the test set, all the others the training set. */
export function leaveOneGroupOut(groups: Int32Array, groupNames: string[]): Fold[] {
  return groupNames.map((name, g) => {
    const train: number[] = [], test: number[] = [];
    groups.forEach((v, i) => (v === g ? test : train).push(i));
    return { name, train, test };
  });
}

/** A fixed split from lists of names (ids or paths, matched on the name without extension). */
export function splitByLists(names: string[], trainList: string[], testList: string[]): Fold {
  const norm = (s: string) => s.trim().replace(/\.[^./]+$/, '');
  const index = new Map(names.map((n, i) => [norm(n), i]));
  const pick = (list: string[], which: string) => {
    const out: number[] = [];
    const missing: string[] = [];
    for (const l of list.filter((x) => x.trim() !== '')) {
      const i = index.get(norm(l));
      if (i === undefined) missing.push(l);
      else out.push(i);
    }
    if (missing.length) throw new InputError(`${missing.length} name(s) of the ${which} list have no features (${missing.slice(0, 5).join(', ')})`);
    return out;
  };
  return { name: 'lists', train: pick(trainList, 'train'), test: pick(testList, 'test') };
}

/** Mean over frames of each utterance: [frames, dims] -> [dims]. */
export function meanPool(frames: Float32Array, dims: number): Float32Array {
  const n = Math.floor(frames.length / dims);
  const out = new Float32Array(dims);
  if (n === 0) return out;
  const acc = new Float64Array(dims);
  for (let t = 0; t < n; t++) for (let c = 0; c < dims; c++) acc[c] += frames[t * dims + c];
  for (let c = 0; c < dims; c++) out[c] = acc[c] / n;
  return out;
}
