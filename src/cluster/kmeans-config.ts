import { InputError } from '../util/errors.ts';

/**
 * k-means settings, with the fairseq HuBERT recipe's defaults (`simple_kmeans/learn_kmeans.py`, which runs
 * scikit-learn's MiniBatchKMeans): k 100, batch 10,000, max_iter 100, max_no_improvement 100, n_init 20
 * k-means++ inits on an init subsample of 3 * batch, reassignment_ratio 0, tol 0.
 */
export type KMeansAlgorithm = 'auto' | 'minibatch' | 'full';
export const KMEANS_ALGORITHMS: readonly KMeansAlgorithm[] = ['auto', 'minibatch', 'full'];

export interface KMeansConfig {
  /** Number of clusters. */
  k: number;
  /** `minibatch` (scikit-learn MiniBatchKMeans semantics), `full` (ml-kmeans, Lloyd with k-means++),
   *  `auto`: full when all frames fit in one batch, else minibatch. */
  algorithm: KMeansAlgorithm;
  batchSize: number;
  /** Passes over the data: the step budget is floor(maxIter * n / batchSize) mini-batches (Lloyd iterations for full). */
  maxIter: number;
  /** Stop after this many steps without improvement of the smoothed batch inertia (0 disables). */
  maxNoImprovement: number;
  /** k-means++ initialisations tried; the one with the lowest inertia on a validation sample is kept. */
  nInit: number;
  /** Rows drawn for each initialisation (and for the validation sample); null = 3 * batchSize. */
  initSize: number | null;
  /** Reassign clusters whose count is below this fraction of the largest count (0: never). */
  reassignmentRatio: number;
  /** Stop when the squared change of all centres in one step is at most this (0: off). */
  tol: number;
  seed: number;
}

export const KMEANS_DEFAULTS: Readonly<KMeansConfig> = Object.freeze({
  k: 100,
  algorithm: 'auto',
  batchSize: 10000,
  maxIter: 100,
  maxNoImprovement: 100,
  nInit: 20,
  initSize: null,
  reassignmentRatio: 0,
  tol: 0,
  seed: 0,
});

/** Fills defaults and validates; errors name the field. */
export function resolveKMeansConfig(partial: Partial<KMeansConfig> = {}): KMeansConfig {
  const c: KMeansConfig = { ...KMEANS_DEFAULTS, ...partial };
  const positiveInt = (name: keyof KMeansConfig, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw new InputError(`expected a positive integer, got ${v}`, { field: name });
  };
  positiveInt('k', c.k);
  positiveInt('batchSize', c.batchSize);
  positiveInt('maxIter', c.maxIter);
  positiveInt('nInit', c.nInit);
  if (c.initSize !== null) positiveInt('initSize', c.initSize);
  if (!Number.isInteger(c.maxNoImprovement) || c.maxNoImprovement < 0) throw new InputError(`expected an integer >= 0, got ${c.maxNoImprovement}`, { field: 'maxNoImprovement' });
  if (!(c.reassignmentRatio >= 0 && c.reassignmentRatio <= 1)) throw new InputError(`expected a number in [0, 1], got ${c.reassignmentRatio}`, { field: 'reassignmentRatio' });
  if (!(c.tol >= 0)) throw new InputError(`expected a number >= 0, got ${c.tol}`, { field: 'tol' });
  if (!KMEANS_ALGORITHMS.includes(c.algorithm)) throw new InputError(`expected one of ${KMEANS_ALGORITHMS.join('|')}, got ${c.algorithm}`, { field: 'algorithm' });
  if (!Number.isInteger(c.seed)) throw new InputError(`expected an integer, got ${c.seed}`, { field: 'seed' });
  return c;
}

/** What a k-means run returns. */
export interface KMeansResult {
  /** Row-major [k, dims]. */
  centroids: Float32Array;
  k: number;
  dims: number;
  /** Sum over all input rows of the squared distance to the nearest centroid. */
  inertia: number;
  algorithm: 'minibatch' | 'full';
  /** Mini-batch steps (or Lloyd iterations) run. */
  steps: number;
  /** Mini-batch: the smoothed batch inertia scaled to n rows at the end (scikit-learn's `inertia_` when it computes no labels). */
  smoothedInertia?: number;
  /** Mini-batch: validation inertia of the chosen k-means++ init. */
  initInertia?: number;
  /** Why the loop stopped. */
  stoppedBy: 'max_iter' | 'max_no_improvement' | 'tol' | 'converged';
  /** Which distance kernel ran (wasm-simd or js). */
  kernel: string;
  /** Mini-batch: wall seconds of the phases (the n_init seedings with their validation, the steps, the final assignment). */
  seconds?: { init: number; steps: number; final: number };
  /** Mini-batch: the same split in CPU seconds of the whole process (worker threads included). */
  cpuSeconds?: { init: number; steps: number; final: number };
}
