import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../util/rng.ts';

/**
 * Negative sampling for the contrastive losses (CPC's InfoNCE, wav2vec 2.0's distractors), as one
 * strategy object both use. Negatives that are too easy teach nothing; too hard ones include false
 * negatives (the same phone said again is not a negative). The strategies:
 *
 * - `same-utterance`: other candidates of the anchor's own utterance (wav2vec 2.0: other masked
 *   frames of the same utterance, fairseq `sample_negatives`).
 * - `batch`: any candidate in the batch, the anchor's utterance included (CPC_audio's default; fairseq's
 *   cross_sample_negatives).
 * - `other-utterances`: only candidates from other utterances (in FSDD, mostly other speakers).
 * - `hardness-band`: rank the pool (one of the above) by similarity to the anchor, skip the top
 *   `skipFraction` (likely false negatives), draw from the next `bandFraction`.
 *
 * Draws are uniform with replacement (as fairseq and CPC_audio) and seeded by the caller's Rng; the
 * anchor's positive is never drawn. When an anchor's pool holds nothing but its positive (a one-frame
 * utterance), the draw falls back to the whole batch; when the batch has no other candidate, it throws.
 */
export type NegativePool = 'same-utterance' | 'batch' | 'other-utterances';

export type NegativeStrategyConfig =
  | { kind: NegativePool }
  | { kind: 'hardness-band'; pool: NegativePool; skipFraction: number; bandFraction: number };

/** The hardness-band strategy's defaults (readNegativeStrategy fills a partial config from these). */
export const HARDNESS_BAND_DEFAULTS = { kind: 'hardness-band', pool: 'batch', skipFraction: 0.1, bandFraction: 0.3 } as const;

/** Anchors and candidates of one batch. Candidates are indexed 0..N-1 (for example flattened b*T + t). */
export interface NegativeQuery {
  /** Utterance of each anchor, [A]. */
  anchorUtterance: ArrayLike<number>;
  /** Candidate index of each anchor's positive, [A]; never drawn as that anchor's negative. */
  positive: ArrayLike<number>;
  /** Utterance of each candidate, [N]; a negative value marks a position that is not a candidate (padding, unmasked). */
  candidateUtterance: ArrayLike<number>;
  /** Scores [A, N] row-major, higher = more similar to the anchor; required by `hardness-band`. */
  similarity?: ArrayLike<number>;
}

/** Sampled negatives: `indices[a * numNegatives + k]` is a candidate index. */
export interface NegativeIndices {
  numAnchors: number;
  numNegatives: number;
  indices: Int32Array;
}

export interface NegativeSampler {
  readonly config: NegativeStrategyConfig;
  /** True when `sample` needs `query.similarity`. */
  readonly needsSimilarity: boolean;
  sample(query: NegativeQuery, numNegatives: number, rng: Rng): NegativeIndices;
}

interface Pools {
  all: Int32Array;
  byUtterance: Map<number, Int32Array>;
}

function buildPools(candidateUtterance: ArrayLike<number>): Pools {
  const lists = new Map<number, number[]>();
  const all: number[] = [];
  for (let j = 0; j < candidateUtterance.length; j++) {
    const u = candidateUtterance[j];
    if (u < 0) continue;
    all.push(j);
    let l = lists.get(u);
    if (!l) lists.set(u, (l = []));
    l.push(j);
  }
  const byUtterance = new Map<number, Int32Array>();
  for (const [u, l] of lists) byUtterance.set(u, Int32Array.from(l));
  return { all: Int32Array.from(all), byUtterance };
}

/** The pool of an anchor's utterance before its positive is taken out. */
function basePool(kind: NegativePool, utt: number, pools: Pools, candidateUtterance: ArrayLike<number>): Int32Array {
  if (kind === 'same-utterance') return pools.byUtterance.get(utt) ?? new Int32Array(0);
  if (kind === 'batch') return pools.all;
  return pools.all.filter((j) => candidateUtterance[j] !== utt);
}

/** True when `pool` holds something other than `positive`. */
function hasOther(pool: Int32Array, positive: number): boolean {
  return pool.length > 1 || (pool.length === 1 && pool[0] !== positive);
}

/** The pool of one anchor with the whole-batch fallback; the positive may still be in it (callers exclude it). */
function anchorPool(kind: NegativePool, utt: number, positive: number, pools: Pools, candidateUtterance: ArrayLike<number>, cache: Map<number, Int32Array>): Int32Array {
  let base = cache.get(utt);
  if (!base) cache.set(utt, (base = basePool(kind, utt, pools, candidateUtterance)));
  if (hasOther(base, positive)) return base;
  if (hasOther(pools.all, positive)) return pools.all;
  throw new Error(`negatives: an anchor of utterance ${utt} has no candidate other than its positive in the whole batch`);
}

function checkQuery(q: NegativeQuery, numNegatives: number, needsSimilarity: boolean): void {
  const a = q.anchorUtterance.length;
  if (q.positive.length !== a) throw new Error(`negatives: ${q.positive.length} positives for ${a} anchors`);
  if (!(Number.isInteger(numNegatives) && numNegatives >= 1)) throw new Error(`negatives: numNegatives must be a positive integer, got ${numNegatives}`);
  const n = q.candidateUtterance.length;
  for (let i = 0; i < a; i++) if (!(q.positive[i] >= 0 && q.positive[i] < n)) throw new Error(`negatives: positive ${q.positive[i]} of anchor ${i} is outside [0, ${n})`);
  if (needsSimilarity && (!q.similarity || q.similarity.length !== a * n)) {
    throw new Error(`negatives: hardness-band needs a similarity matrix of ${a} x ${n} entries, got ${q.similarity ? q.similarity.length : 'none'}`);
  }
}

class UniformSampler implements NegativeSampler {
  readonly needsSimilarity = false;
  constructor(readonly config: { kind: NegativePool }) {}

  sample(q: NegativeQuery, numNegatives: number, rng: Rng): NegativeIndices {
    checkQuery(q, numNegatives, false);
    const pools = buildPools(q.candidateUtterance);
    const a = q.anchorUtterance.length;
    const indices = new Int32Array(a * numNegatives);
    const cache = new Map<number, Int32Array>();
    for (let i = 0; i < a; i++) {
      const positive = q.positive[i];
      const pool = anchorPool(this.config.kind, q.anchorUtterance[i], positive, pools, q.candidateUtterance, cache);
      for (let k = 0; k < numNegatives; k++) {
        let j = pool[rng.int(pool.length)];
        while (j === positive) j = pool[rng.int(pool.length)]; // rejection = uniform over the pool without the positive
        indices[i * numNegatives + k] = j;
      }
    }
    return { numAnchors: a, numNegatives, indices };
  }
}

class HardnessBandSampler implements NegativeSampler {
  readonly needsSimilarity = true;
  constructor(readonly config: { kind: 'hardness-band'; pool: NegativePool; skipFraction: number; bandFraction: number }) {
    const { skipFraction, bandFraction } = config;
    if (!(skipFraction >= 0 && skipFraction < 1)) throw new Error(`negatives: skipFraction must be in [0, 1), got ${skipFraction}`);
    if (!(bandFraction > 0 && bandFraction <= 1)) throw new Error(`negatives: bandFraction must be in (0, 1], got ${bandFraction}`);
  }

  sample(q: NegativeQuery, numNegatives: number, rng: Rng): NegativeIndices {
    checkQuery(q, numNegatives, true);
    const sim = q.similarity as ArrayLike<number>;
    const n = q.candidateUtterance.length;
    const pools = buildPools(q.candidateUtterance);
    const a = q.anchorUtterance.length;
    const indices = new Int32Array(a * numNegatives);
    const cache = new Map<number, Int32Array>();
    for (let i = 0; i < a; i++) {
      const positive = q.positive[i];
      const pool = anchorPool(this.config.pool, q.anchorUtterance[i], positive, pools, q.candidateUtterance, cache).filter((j) => j !== positive);
      const m = pool.length;
      const scores = new Float64Array(m);
      for (let j = 0; j < m; j++) scores[j] = sim[i * n + pool[j]];
      const sorted = Float64Array.from(scores).sort().reverse(); // descending
      const skip = Math.min(Math.floor(this.config.skipFraction * m), m - 1);
      const end = Math.min(m, skip + Math.max(1, Math.ceil(this.config.bandFraction * m)));
      const hi = sorted[skip];
      const lo = sorted[end - 1];
      // Candidates whose score lies in the band's range (ties at its edges widen it slightly).
      const band: number[] = [];
      for (let j = 0; j < m; j++) if (scores[j] <= hi && scores[j] >= lo) band.push(pool[j]);
      for (let k = 0; k < numNegatives; k++) indices[i * numNegatives + k] = band[rng.int(band.length)];
    }
    return { numAnchors: a, numNegatives, indices };
  }
}

export function makeNegativeSampler(config: NegativeStrategyConfig): NegativeSampler {
  switch (config.kind) {
    case 'same-utterance':
    case 'batch':
    case 'other-utterances':
      return new UniformSampler({ kind: config.kind });
    case 'hardness-band':
      return new HardnessBandSampler(config);
    default:
      throw new Error(`negatives: unknown strategy "${(config as { kind: string }).kind}" (expected same-utterance, batch, other-utterances or hardness-band)`);
  }
}

/** The indices as an int32 [A, K] tensor. */
export function negativeIndicesTensor(neg: NegativeIndices): tf.Tensor2D {
  return tf.tensor2d(neg.indices, [neg.numAnchors, neg.numNegatives], 'int32');
}

/**
 * Flags [A * K] negatives whose vector equals the positive's vector exactly (fairseq's `neg_is_pos`:
 * quantized targets repeat, and a distractor identical to the positive must not count as wrong).
 * `vectors` is the candidates' [N, D] data, row-major.
 */
export function duplicatesOfPositive(vectors: Float32Array, dim: number, positive: ArrayLike<number>, neg: NegativeIndices): Uint8Array {
  const rowKey = new Int32Array(vectors.length / dim);
  const byHash = new Map<string, number>();
  const bytes = new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength);
  for (let r = 0; r < rowKey.length; r++) {
    const key = Buffer.from(bytes.subarray(r * dim * 4, (r + 1) * dim * 4)).toString('latin1');
    let id = byHash.get(key);
    if (id === undefined) byHash.set(key, (id = byHash.size));
    rowKey[r] = id;
  }
  const out = new Uint8Array(neg.indices.length);
  for (let a = 0; a < neg.numAnchors; a++) {
    const p = rowKey[positive[a]];
    for (let k = 0; k < neg.numNegatives; k++) if (rowKey[neg.indices[a * neg.numNegatives + k]] === p) out[a * neg.numNegatives + k] = 1;
  }
  return out;
}

/** The rows `rows` of a score matrix [R, N] as the [A, N] `similarity` of a query (read back from the tensor). */
export function anchorSimilarity(scores: tf.Tensor2D, rows: ArrayLike<number>): Float32Array {
  const width = scores.shape[1];
  const data = scores.dataSync() as Float32Array;
  const out = new Float32Array(rows.length * width);
  for (let i = 0; i < rows.length; i++) out.set(data.subarray(rows[i] * width, (rows[i] + 1) * width), i * width);
  return out;
}
