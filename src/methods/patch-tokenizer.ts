import type { Image } from '../image/image.ts';
import { kmeans } from '../cluster/kmeans.ts';
import { createDistanceKernel, type DistanceKernel } from '../cluster/distance-kernel.ts';
import { assignNearest } from '../cluster/assign-nearest.ts';

/**
 * The masked-patch method's tokenizer: each p x p patch of an image becomes a vector of its pixels
 * (row, column, channel order), optionally standardised over the patch (MAE's "normalized pixels", so a
 * token says what the patch looks like rather than how bright it is), and its k-means cluster is the
 * patch's target ID. Patches are taken on the ViT's grid, row-major, so token t of the encoder and
 * target t of the tokenizer are the same patch.
 */
export interface PatchFeatureOptions {
  patchSize: number;
  /** Standardise each patch's values (x - mean) / sqrt(var + eps) before clustering. */
  patchNorm: boolean;
}

/** Variance floor of the per-patch standardisation (pixels in [0, 1]): flat patches stay near zero. */
export const PATCH_NORM_EPS = 1e-2;

/** Width of one patch vector. */
export function patchFeatureDim(patchSize: number, channels: number): number {
  return patchSize * patchSize * channels;
}

/** Patch vectors of images (all one shape), row-major [images * patches, p * p * c]. */
export function patchFeatures(images: readonly Image[], opts: PatchFeatureOptions): Float32Array {
  const p = opts.patchSize;
  if (images.length === 0) return new Float32Array(0);
  const { height, width, channels: c } = images[0];
  if (height % p || width % p) throw new Error(`patch tokenizer: ${height}x${width} images are not a whole number of ${p}x${p} patches`);
  const rows = height / p, cols = width / p, dim = patchFeatureDim(p, c);
  const out = new Float32Array(images.length * rows * cols * dim);
  let o = 0;
  for (const img of images) {
    if (img.height !== height || img.width !== width || img.channels !== c) throw new Error('patch tokenizer: images differ in shape');
    for (let r = 0; r < rows; r++) {
      for (let q = 0; q < cols; q++) {
        const start = o;
        for (let y = 0; y < p; y++) {
          const src = ((r * p + y) * width + q * p) * c;
          out.set(img.data.subarray(src, src + p * c), o);
          o += p * c;
        }
        if (opts.patchNorm) {
          let mean = 0;
          for (let i = start; i < o; i++) mean += out[i];
          mean /= dim;
          let v = 0;
          for (let i = start; i < o; i++) v += (out[i] - mean) ** 2;
          const inv = 1 / Math.sqrt(v / dim + PATCH_NORM_EPS);
          for (let i = start; i < o; i++) out[i] = (out[i] - mean) * inv;
        }
      }
    }
  }
  return out;
}

export interface TokenizerFitOptions {
  k: number;
  seed: number;
}

/**
 * k-means centroids [k, dim] of the patches of `images` (mini-batch k-means with a small step budget:
 * the targets only need to be a stable quantisation, not a converged one).
 */
export function fitPatchCentroids(images: readonly Image[], feat: PatchFeatureOptions, fit: TokenizerFitOptions): Float32Array {
  const x = patchFeatures(images, feat);
  const dim = patchFeatureDim(feat.patchSize, images[0]?.channels ?? 1);
  const n = x.length / dim;
  if (n < fit.k) throw new Error(`patch tokenizer: ${n} patches cannot make ${fit.k} clusters (sample more images or lower k)`);
  return kmeans(x, n, dim, { k: fit.k, batchSize: Math.min(4096, n), maxIter: 10, nInit: 3, maxNoImprovement: 30, seed: fit.seed }).centroids;
}

/** Nearest-centroid IDs of patch vectors. */
export class PatchAssigner {
  private readonly kernel: DistanceKernel;
  constructor(readonly dim: number) {
    this.kernel = createDistanceKernel(dim);
  }
  assign(features: Float32Array, centroids: Float32Array): Int32Array {
    const n = features.length / this.dim;
    const k = centroids.length / this.dim;
    const labels = new Int32Array(n);
    assignNearest(this.kernel, features, n, centroids, k, { labels });
    return labels;
  }
}
