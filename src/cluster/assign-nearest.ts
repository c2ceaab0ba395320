import type { DistanceKernel } from './distance-kernel.ts';

/**
 * Nearest-centroid assignment of rows [0, n) of `data` (row-major [n, dims]), in chunks so that any size
 * goes through the kernel. Writes `labels` (and `dists`, squared distances) when given; returns the
 * inertia (sum of squared distances, float64).
 */
export function assignNearest(
  kernel: DistanceKernel,
  data: Float32Array,
  n: number,
  centroids: Float32Array,
  k: number,
  out: { labels?: Int32Array; dists?: Float32Array } = {},
  chunk = 16384,
): number {
  kernel.loadCentroids(centroids, k);
  const lab = new Int32Array(Math.min(chunk, n));
  const dist = new Float32Array(Math.min(chunk, n));
  let inertia = 0;
  for (let start = 0; start < n; start += chunk) {
    const count = Math.min(chunk, n - start);
    kernel.loadPoints(data, null, start, count);
    inertia += kernel.nearest(lab, dist);
    if (out.labels) out.labels.set(lab.subarray(0, count), start);
    if (out.dists) out.dists.set(dist.subarray(0, count), start);
  }
  return inertia;
}
