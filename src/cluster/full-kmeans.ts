import { kmeans as mlKMeans } from 'ml-kmeans';
import { createDistanceKernel } from './distance-kernel.ts';
import { assignNearest } from './assign-nearest.ts';
import { resolveKMeansConfig, type KMeansConfig, type KMeansResult } from './kmeans-config.ts';

/**
 * Full-batch k-means (Lloyd's algorithm with k-means++ seeding) through ml-kmeans, for data that fits in
 * memory as plain arrays: one seeding (ml-kmeans has no n_init), at most `maxIter` iterations, stopping when
 * no centre moves more than 1e-6 (ml-kmeans' tolerance). Inertia is recomputed on float32 input by the
 * shared distance kernel so it compares with the mini-batch figure.
 */
export function fullKMeans(data: Float32Array, n: number, dims: number, partial: Partial<KMeansConfig> = {}): KMeansResult {
  const cfg = resolveKMeansConfig(partial);
  if (n < cfg.k) throw new Error(`fullKMeans: ${n} rows cannot make ${cfg.k} clusters`);
  const rows: number[][] = new Array(n);
  for (let i = 0; i < n; i++) rows[i] = Array.from(data.subarray(i * dims, i * dims + dims));
  // ml-kmeans draws its seed through ml-random; keep it a positive integer derived from ours.
  const result = mlKMeans(rows, cfg.k, { initialization: 'kmeans++', maxIterations: cfg.maxIter, seed: (cfg.seed >>> 0) + 1 });
  const centroids = new Float32Array(cfg.k * dims);
  result.centroids.forEach((c, j) => centroids.set(c, j * dims));
  const kernel = createDistanceKernel(dims);
  const inertia = assignNearest(kernel, data, n, centroids, cfg.k);
  return {
    centroids,
    k: cfg.k,
    dims,
    inertia,
    algorithm: 'full',
    steps: result.iterations,
    stoppedBy: result.converged ? 'converged' : 'max_iter',
    kernel: kernel.kind,
  };
}
