import { Rng, type RngState } from '../util/rng.ts';
import { createDistanceKernel } from './distance-kernel.ts';
import { kmeansPlusPlus } from './kmeans-plus-plus.ts';

/**
 * The n_init k-means++ seedings of mini-batch k-means as independent jobs: seeding r draws its `initSize`
 * rows (with replacement, then sorted, repeats merged into weights) and its k-means++ choices from its own generator (state rngStates[r]), then is
 * scored by its inertia on the shared validation rows. A seeding's result depends on r alone, so any number
 * of threads, claiming jobs in any order, gives the same centres and inertias.
 */
export interface SeedingJobs {
  data: Float32Array;
  n: number;
  dims: number;
  k: number;
  initSize: number;
  validRows: Int32Array;
  sqNorms: Float64Array;
  rngStates: RngState[];
  forceJs: boolean;
}

/** Where seedings leave their results; plain or shared memory. `next[0]` hands out job indices. */
export interface SeedingResults {
  centres: Float32Array;
  inertias: Float64Array;
  done: Int32Array;
  next: Int32Array;
}

export function seedingResults(nInit: number, k: number, dims: number, shared: boolean): SeedingResults {
  const buffer = (bytes: number) => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  return {
    centres: new Float32Array(buffer(nInit * k * dims * 4)),
    inertias: new Float64Array(buffer(nInit * 8)),
    done: new Int32Array(buffer(nInit * 4)),
    next: new Int32Array(buffer(4)),
  };
}

/** One seeding: its rows, then greedy k-means++ on them. */
export function seedOne(jobs: SeedingJobs, r: number, kernel = createDistanceKernel(jobs.dims, { forceJs: jobs.forceJs })): Float32Array {
  const { data, n, initSize, k, sqNorms } = jobs;
  const rng = new Rng(jobs.rngStates[r]);
  const rows = new Int32Array(initSize);
  if (initSize >= n) {
    for (let i = 0; i < n; i++) rows[i] = i;
    return kmeansPlusPlus(kernel, data, rows, k, rng, sqNorms);
  }
  for (let i = 0; i < initSize; i++) rows[i] = rng.int(n);
  // The draw is i.i.d., so its order carries no information: in row order the gather reads memory
  // forwards, and repeats (about 16% of 30,000 draws from 80,819 rows) become one row with a weight.
  rows.sort();
  const weights = new Float32Array(initSize);
  let distinct = 0;
  for (let i = 0; i < initSize; i++) {
    if (distinct > 0 && rows[i] === rows[distinct - 1]) {
      weights[distinct - 1]++;
    } else {
      rows[distinct] = rows[i];
      weights[distinct++] = 1;
    }
  }
  return kmeansPlusPlus(kernel, data, rows.subarray(0, distinct), k, rng, sqNorms, weights.subarray(0, distinct));
}

/**
 * Claims jobs from `results.next` until none are left, writing each result and marking it done; with
 * `leftovers`, runs instead every job not yet marked done (what a failed worker left behind).
 */
export function runClaimedSeedings(jobs: SeedingJobs, results: SeedingResults, leftovers = false): void {
  const nInit = jobs.rngStates.length;
  const kernel = createDistanceKernel(jobs.dims, { forceJs: jobs.forceJs });
  const valid = createDistanceKernel(jobs.dims, { forceJs: jobs.forceJs });
  valid.loadPoints(jobs.data, jobs.validRows, 0, jobs.validRows.length, jobs.sqNorms);
  const labels = new Int32Array(jobs.validRows.length);
  const dists = new Float32Array(jobs.validRows.length);
  const size = jobs.k * jobs.dims;
  const claim = () => (leftovers ? nextUndone(results, nInit) : Atomics.add(results.next, 0, 1));
  for (let r = claim(); r < nInit; r = claim()) {
    const c = seedOne(jobs, r, kernel);
    valid.loadCentroids(c, jobs.k);
    const inertia = valid.nearest(labels, dists);
    results.centres.set(c, r * size);
    results.inertias[r] = inertia;
    Atomics.store(results.done, r, 1);
  }
}

function nextUndone(results: SeedingResults, nInit: number): number {
  for (let r = 0; r < nInit; r++) if (Atomics.load(results.done, r) === 0) return r;
  return nInit;
}

/** The seeding with the lowest validation inertia (the first on ties), as scikit-learn keeps it. */
export function bestSeeding(results: SeedingResults, nInit: number, k: number, dims: number): { index: number; centres: Float32Array; inertia: number } {
  let best = 0;
  for (let r = 1; r < nInit; r++) if (results.inertias[r] < results.inertias[best]) best = r;
  return { index: best, centres: results.centres.slice(best * k * dims, (best + 1) * k * dims), inertia: results.inertias[best] };
}
