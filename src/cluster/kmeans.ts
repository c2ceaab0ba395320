import { miniBatchKMeans, type MiniBatchOptions } from './mini-batch-kmeans.ts';
import { fullKMeans } from './full-kmeans.ts';
import { resolveKMeansConfig, type KMeansConfig, type KMeansResult } from './kmeans-config.ts';

/**
 * k-means on a row-major [n, dims] float32 matrix with the algorithm the config asks for; `auto` runs the
 * full-batch algorithm when every row fits in one mini-batch (mini-batches would then be the whole set
 * drawn with replacement) and the mini-batch algorithm otherwise.
 */
export function kmeans(data: Float32Array, n: number, dims: number, partial: Partial<KMeansConfig> = {}, opts: MiniBatchOptions = {}): KMeansResult {
  const cfg = resolveKMeansConfig(partial);
  const algorithm = cfg.algorithm === 'auto' ? (n <= cfg.batchSize ? 'full' : 'minibatch') : cfg.algorithm;
  if (algorithm === 'full') return fullKMeans(data, n, dims, cfg);
  return miniBatchKMeans(data, n, dims, cfg, opts);
}
