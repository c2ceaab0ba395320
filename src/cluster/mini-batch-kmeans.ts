import { Rng } from '../util/rng.ts';
import { createDistanceKernel, type DistanceKernel } from './distance-kernel.ts';
import { runSeedings } from './seeding-threads.ts';
import { bestSeeding } from './seedings.ts';
import { assignNearest } from './assign-nearest.ts';
import { createMiniBatchStepKernel } from './mini-batch-step-kernel.ts';
import { BoundedAssignment } from './bounded-assignment.ts';
import { MiniBatchConvergence } from './mini-batch-convergence.ts';
import { resolveKMeansConfig, type KMeansConfig, type KMeansResult } from './kmeans-config.ts';

/**
 * Mini-batch k-means with scikit-learn's MiniBatchKMeans semantics (Sculley 2010, as in sklearn 1.2):
 * - n_init k-means++ seedings, each on `initSize` rows drawn with replacement; the one with the lowest
 *   inertia on one validation draw of `initSize` rows is kept;
 * - floor(maxIter * n / batchSize) steps; each draws `batchSize` rows with replacement, assigns them to the
 *   current centres and moves each centre to the running mean of all rows it has received
 *   (c <- (c * count + sum) / (count + m));
 * - early stop when the exponentially smoothed batch inertia (alpha = 2 * batch / (n + 1), the first step
 *   ignored) has not improved for `maxNoImprovement` steps, or when the squared centre change is <= tol > 0;
 * - with reassignmentRatio > 0, clusters whose count falls below that fraction of the largest count are
 *   moved to random batch rows (every 10 * k rows seen, or when a count is 0).
 * The random streams differ from numpy's, so results match scikit-learn in distribution, not bit for bit.
 * Speed: the seedings are independent jobs (seedings.ts, optionally on worker threads); the steps work on a
 * resident copy of the matrix and skip rows whose nearest centre a per-row bound proves unchanged
 * (bounded-assignment.ts), which gives the brute-force assignment up to rounding on near ties.
 */
export interface MiniBatchOptions {
  log?: (msg: string) => void;
  /** Kernel of the final assignment; a 'js' kernel also selects the typed-array code everywhere else. */
  kernel?: DistanceKernel;
  /** Threads for the n_init seedings (this one plus worker threads); the result does not depend on it. Default 1. */
  threads?: number;
}

export function miniBatchKMeans(data: Float32Array, n: number, dims: number, partial: Partial<KMeansConfig> = {}, opts: MiniBatchOptions = {}): KMeansResult {
  const cfg = resolveKMeansConfig(partial);
  const { k } = cfg;
  if (n < k) throw new Error(`miniBatchKMeans: ${n} rows cannot make ${k} clusters`);
  if (data.length < n * dims) throw new Error(`miniBatchKMeans: data holds ${data.length} values, expected ${n} x ${dims}`);
  const log = opts.log ?? (() => {});
  const rng = new Rng(cfg.seed);
  const kernel = opts.kernel ?? createDistanceKernel(dims);
  const batch = Math.min(cfg.batchSize, n);
  let initSize = cfg.initSize ?? 3 * batch;
  if (initSize < k) initSize = 3 * k;
  initSize = Math.min(initSize, n);

  const tInit = performance.now();
  const cInit = processCpuSeconds();
  // Initialisation: a validation draw, then n_init seedings, each from its own generator forked from the
  // run's, so they can run on any number of threads with the same result.
  const sqNorms = rowSquaredNorms(data, n, dims);
  const validRows = new Int32Array(initSize);
  for (let i = 0; i < initSize; i++) validRows[i] = rng.int(n);
  const rngStates = Array.from({ length: cfg.nInit }, () => rng.fork().getState());
  const jobs = { data, n, dims, k, initSize, validRows, sqNorms, rngStates, forceJs: kernel.kind === 'js' };
  const threads = Math.max(1, Math.floor(opts.threads ?? 1));
  const { results: seeded, workersUsed, leftovers } = runSeedings(jobs, threads);
  for (let r = 0; r < cfg.nInit; r++) log(`init ${r + 1}/${cfg.nInit}: validation inertia ${seeded.inertias[r].toExponential(4)}`);
  if (threads > 1) log(`seedings on ${threads} threads: ${workersUsed} worker(s) finished, ${leftovers} seeding(s) redone on this thread`);
  const chosen = bestSeeding(seeded, cfg.nInit, k, dims);
  const centers = chosen.centres;
  const initInertia = chosen.inertia;

  const tSteps = performance.now();
  const cSteps = processCpuSeconds();
  // Mini-batch steps over the matrix held by the step kernel; rows whose nearest centre provably did not
  // change since they were last assigned are skipped (BoundedAssignment).
  const stepKernel = createMiniBatchStepKernel(data, n, dims, k, batch, { forceJs: kernel.kind === 'js' });
  const bounds = new BoundedAssignment(sqNorms);
  const convergence = new MiniBatchConvergence(batch, n, cfg.tol, cfg.maxNoImprovement);
  const counts = new Float64Array(k);
  const sums = new Float64Array(k * dims);
  const batchCounts = new Int32Array(k);
  const previous = new Float32Array(k * dims);
  const nSteps = Math.floor((cfg.maxIter * n) / batch);
  let sinceReassign = 0;
  let stoppedBy: KMeansResult['stoppedBy'] = 'max_iter';
  let steps = 0;
  const rows = stepKernel.rows;
  for (let i = 0; i < nSteps; i++) {
    steps = i + 1;
    for (let r = 0; r < batch; r++) rows[r] = rng.int(n);
    stepKernel.loadCentroids(centers);
    const batchInertia = bounds.assign(stepKernel, batch);
    previous.set(centers);
    sums.fill(0);
    batchCounts.fill(0);
    stepKernel.accumulate(batch, sums, batchCounts);
    updateCenters(centers, counts, sums, batchCounts, k, dims);
    if (cfg.reassignmentRatio > 0) {
      sinceReassign += batch;
      let anyEmpty = false;
      for (let j = 0; j < k; j++) if (counts[j] === 0) anyEmpty = true;
      if (anyEmpty || sinceReassign >= 10 * k) {
        sinceReassign = 0;
        reassignSmallClusters(data, dims, rows.subarray(0, batch), centers, counts, k, cfg.reassignmentRatio, rng, log);
      }
    }
    let shift = 0, maxMove = 0;
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let t = j * dims; t < (j + 1) * dims; t++) s += (centers[t] - previous[t]) ** 2;
      shift += s;
      if (s > maxMove) maxMove = s;
    }
    bounds.centresMoved(Math.sqrt(maxMove));
    const stop = convergence.update(i, batchInertia, shift);
    if (steps % 50 === 0 && convergence.ewa !== null) log(`step ${steps}/${nSteps}: batch inertia ${(batchInertia / batch).toFixed(3)}, smoothed ${convergence.ewa.toFixed(3)}`);
    if (stop) {
      stoppedBy = stop;
      break;
    }
  }
  const ewa = convergence.ewa;
  log(`assigned ${bounds.full} batch rows in full, skipped ${bounds.skipped} by the bound`);
  const tFinal = performance.now();
  const cFinal = processCpuSeconds();
  const inertia = assignNearest(kernel, data, n, centers, k);
  log(`stopped after ${steps} steps (${stoppedBy}); inertia ${inertia.toExponential(4)}`);
  return {
    centroids: centers,
    k,
    dims,
    inertia,
    algorithm: 'minibatch',
    steps,
    smoothedInertia: ewa === null ? undefined : ewa * n,
    initInertia,
    stoppedBy,
    kernel: kernel.kind,
    seconds: { init: (tSteps - tInit) / 1000, steps: (tFinal - tSteps) / 1000, final: (performance.now() - tFinal) / 1000 },
    cpuSeconds: { init: cSteps - cInit, steps: cFinal - cSteps, final: processCpuSeconds() - cFinal },
  };
}

/** c_j <- (c_j * count_j + sum of batch rows labelled j) / (count_j + m_j), for clusters that got rows. */
function updateCenters(centers: Float32Array, counts: Float64Array, sums: Float64Array, batchCounts: Int32Array, k: number, dims: number): void {
  for (let j = 0; j < k; j++) {
    const m = batchCounts[j];
    if (m === 0) continue;
    const total = counts[j] + m;
    const o = j * dims;
    for (let t = 0; t < dims; t++) centers[o + t] = (centers[o + t] * counts[j] + sums[o + t]) / total;
    counts[j] = total;
  }
}

/** scikit-learn's random reassignment of clusters with too small a count to random rows of the batch. */
function reassignSmallClusters(
  data: Float32Array, dims: number, rows: Int32Array, centers: Float32Array, counts: Float64Array,
  k: number, ratio: number, rng: Rng, log: (msg: string) => void,
): void {
  let max = 0;
  for (let j = 0; j < k; j++) max = Math.max(max, counts[j]);
  const small: number[] = [];
  for (let j = 0; j < k; j++) if (counts[j] < ratio * max) small.push(j);
  const limit = Math.floor(0.5 * rows.length);
  if (small.length > limit) {
    small.sort((a, b) => counts[a] - counts[b] || a - b);
    small.length = limit;
  }
  if (small.length === 0) return;
  const picks = rng.permutation(rows.length).slice(0, small.length);
  const isSmall = new Uint8Array(k);
  for (const j of small) isSmall[j] = 1;
  let minKept = Infinity;
  for (let j = 0; j < k; j++) if (!isSmall[j]) minKept = Math.min(minKept, counts[j]);
  small.forEach((j, s) => {
    const r = rows[picks[s]] * dims;
    centers.set(data.subarray(r, r + dims), j * dims);
    counts[j] = Number.isFinite(minKept) ? minKept : 0;
  });
  log(`reassigned ${small.length} small cluster(s)`);
}

/** User + system CPU time of the process (all its threads), in seconds. */
function processCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function rowSquaredNorms(data: Float32Array, n: number, dims: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let t = 0; t < dims; t++) s += data[i * dims + t] * data[i * dims + t];
    out[i] = s;
  }
  return out;
}
