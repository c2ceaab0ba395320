import type { DistanceKernel } from './distance-kernel.ts';
import type { Rng } from '../util/rng.ts';

/**
 * Greedy k-means++ seeding as scikit-learn does it (`_kmeans_plusplus`, after Arthur & Vassilvitskii 2007):
 * the first centre is a uniform draw; each next centre is the best of `2 + floor(ln k)` candidates drawn
 * with probability proportional to the squared distance to the nearest centre chosen so far, "best"
 * meaning the lowest resulting potential (sum of squared distances to the nearest centre).
 *
 * `rows` (indices into `data`, [*, dims] row-major) are the points to seed from; they are loaded into
 * `kernel`, which is left holding them. `weights` (optional, one per row) make row i stand for weights[i]
 * copies of itself, in the draws and the potentials: seeding from the distinct rows of a sorted draw with
 * their multiplicities picks the same rows as seeding from the draw with its repeats (each search of the
 * running sums lands on the same row, up to float rounding of the sums), at less cost.
 * Returns row-major [k, dims] centroids.
 */
export function kmeansPlusPlus(kernel: DistanceKernel, data: Float32Array, rows: Int32Array, k: number, rng: Rng, sqNorms?: Float64Array, weights?: Float32Array): Float32Array {
  const d = kernel.dims;
  const n = rows.length;
  if (n === 0) throw new Error('kmeansPlusPlus: no points to seed from');
  kernel.loadPoints(data, rows, 0, rows.length, sqNorms, weights);
  const centroids = new Float32Array(k * d);
  const copyRow = (to: number, localIndex: number) => {
    const r = rows[localIndex] * d;
    centroids.set(data.subarray(r, r + d), to * d);
  };
  const trials = 2 + Math.floor(Math.log(k));
  const closest = new Float32Array(n).fill(Infinity);
  const pots = new Float64Array(Math.max(trials, 1));
  const candidates = new Float32Array(trials * d);
  const candidateIds = new Int32Array(trials);
  const cumsum = new Float64Array(n);

  let first: number;
  if (weights) {
    let s = 0;
    for (let i = 0; i < n; i++) cumsum[i] = s += weights[i];
    first = Math.min(searchSortedLeft(cumsum, rng.next() * s), n - 1);
  } else {
    first = rng.int(n);
  }
  copyRow(0, first);
  kernel.candidatePotentials(centroids.subarray(0, d), 1, closest, pots);
  kernel.takeCandidate(0, closest, cumsum);
  let pot = pots[0];
  for (let c = 1; c < k; c++) {
    for (let t = 0; t < trials; t++) {
      const target = rng.next() * pot;
      const id = Math.min(searchSortedLeft(cumsum, target), n - 1);
      candidateIds[t] = id;
      const r = rows[id] * d;
      candidates.set(data.subarray(r, r + d), t * d);
    }
    kernel.candidatePotentials(candidates, trials, closest, pots);
    let best = 0;
    for (let t = 1; t < trials; t++) if (pots[t] < pots[best]) best = t;
    kernel.takeCandidate(best, closest, cumsum);
    pot = pots[best];
    copyRow(c, candidateIds[best]);
  }
  return centroids;
}

/** First index i with a[i] >= v (numpy's searchsorted, side 'left'); a.length when none. */
export function searchSortedLeft(a: Float64Array, v: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
