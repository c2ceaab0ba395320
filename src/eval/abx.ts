import type { Rng } from '../util/rng.ts';

/**
 * ABX discriminability, ZeroSpeech style (Schatz et al. 2013; the ZeroSpeech 2017-2021 ABX task), sized for
 * small corpora such as FSDD with word (digit) categories:
 * - distance between two utterances: dynamic time warping over frame-wise angular distance
 *   (arccos of the cosine similarity, / pi; or 1 - cosine), averaged along the best path;
 * - a triplet (A, B, X) has A and X of the same category, B of another; it is an error when X is closer
 *   to B than to A (half an error on a tie);
 * - within-speaker: A, B and X from one speaker; across-speaker: A and B from one speaker, X from another;
 * - the error rate is averaged over cells (speaker(s), category of A, category of B) with equal weight.
 * `maxPerCell` utterances per (speaker, category) are drawn (seeded) to keep the work small.
 */
export type FrameDistance = 'angular' | 'cosine';

export interface AbxItem {
  /** Row-major [frames, dims]. */
  frames: Float32Array;
  category: number;
  speaker: number;
}

export interface AbxOptions {
  distance: FrameDistance;
  maxPerCell: number;
}
export const ABX_DEFAULTS: Readonly<AbxOptions> = Object.freeze({ distance: 'angular', maxPerCell: 5 });

export interface AbxResult {
  /** Error rates in [0, 1]. */
  withinSpeaker: number;
  acrossSpeaker: number;
  withinCells: number;
  acrossCells: number;
  itemsUsed: number;
  triplets: number;
}

function normalizeFrames(x: Float32Array, dims: number): Float32Array {
  const n = Math.floor(x.length / dims);
  const out = new Float32Array(n * dims);
  for (let t = 0; t < n; t++) {
    let s = 0;
    for (let c = 0; c < dims; c++) s += x[t * dims + c] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let c = 0; c < dims; c++) out[t * dims + c] = x[t * dims + c] * inv;
  }
  return out;
}

/**
 * DTW with steps (1,0), (0,1), (1,1) over frame distances of L2-normalised frames; returns the cost of the
 * cheapest path divided by its length (the average frame distance along it).
 */
export function dtwAverageDistance(a: Float32Array, b: Float32Array, dims: number, distance: FrameDistance): number {
  const na = Math.floor(a.length / dims), nb = Math.floor(b.length / dims);
  if (na === 0 || nb === 0) throw new Error('dtwAverageDistance: empty sequence');
  const cost = new Float64Array(nb), len = new Int32Array(nb);
  const prevCost = new Float64Array(nb), prevLen = new Int32Array(nb);
  for (let i = 0; i < na; i++) {
    for (let j = 0; j < nb; j++) {
      let dot = 0;
      for (let c = 0; c < dims; c++) dot += a[i * dims + c] * b[j * dims + c];
      dot = Math.max(-1, Math.min(1, dot));
      const d = distance === 'angular' ? Math.acos(dot) / Math.PI : 1 - dot;
      let best: number, bl: number;
      if (i === 0 && j === 0) {
        best = 0;
        bl = 0;
      } else {
        best = Infinity;
        bl = 0;
        if (i > 0 && prevCost[j] < best) [best, bl] = [prevCost[j], prevLen[j]];
        if (j > 0 && cost[j - 1] < best) [best, bl] = [cost[j - 1], len[j - 1]];
        if (i > 0 && j > 0 && prevCost[j - 1] <= best) [best, bl] = [prevCost[j - 1], prevLen[j - 1]];
      }
      cost[j] = best + d;
      len[j] = bl + 1;
    }
    prevCost.set(cost);
    prevLen.set(len);
  }
  return cost[nb - 1] / len[nb - 1];
}

export function abx(items: AbxItem[], dims: number, rng: Rng, partial: Partial<AbxOptions> = {}): AbxResult {
  const o = { ...ABX_DEFAULTS, ...partial };
  // Cells of (speaker, category), subsampled.
  const cells = new Map<string, number[]>();
  items.forEach((it, i) => {
    const key = `${it.speaker}:${it.category}`;
    const list = cells.get(key) ?? [];
    list.push(i);
    cells.set(key, list);
  });
  for (const [key, list] of cells) if (list.length > o.maxPerCell) cells.set(key, rng.shuffle(list).slice(0, o.maxPerCell).sort((a, b) => a - b));
  const used = [...new Set([...cells.values()].flat())].sort((a, b) => a - b);
  const norm = new Map(used.map((i) => [i, normalizeFrames(items[i].frames, dims)]));
  const cache = new Map<number, number>();
  const dist = (i: number, j: number) => {
    const key = i < j ? i * items.length + j : j * items.length + i;
    let v = cache.get(key);
    if (v === undefined) {
      v = dtwAverageDistance(norm.get(i)!, norm.get(j)!, dims, o.distance);
      cache.set(key, v);
    }
    return v;
  };
  const speakers = [...new Set(items.map((it) => it.speaker))].sort((a, b) => a - b);
  const categories = [...new Set(items.map((it) => it.category))].sort((a, b) => a - b);
  const get = (s: number, c: number) => cells.get(`${s}:${c}`) ?? [];
  let triplets = 0;
  const cellError = (as: number[], bs: number[], xs: number[]): number | null => {
    let err = 0, count = 0;
    for (const a of as) for (const b of bs) for (const x of xs) {
      if (x === a) continue;
      const da = dist(a, x), db = dist(b, x);
      err += da > db ? 1 : da === db ? 0.5 : 0;
      count++;
    }
    triplets += count;
    return count ? err / count : null;
  };
  const within: number[] = [], across: number[] = [];
  for (const s of speakers) for (const ca of categories) for (const cb of categories) {
    if (ca === cb) continue;
    const as = get(s, ca), bs = get(s, cb);
    if (!as.length || !bs.length) continue;
    const w = cellError(as, bs, as);
    if (w !== null) within.push(w);
    for (const s2 of speakers) {
      if (s2 === s) continue;
      const xs = get(s2, ca);
      const e = xs.length ? cellError(as, bs, xs) : null;
      if (e !== null) across.push(e);
    }
  }
  const mean = (v: number[]) => (v.length ? v.reduce((p, q) => p + q, 0) / v.length : NaN);
  return { withinSpeaker: mean(within), acrossSpeaker: mean(across), withinCells: within.length, acrossCells: across.length, itemsUsed: used.length, triplets };
}
