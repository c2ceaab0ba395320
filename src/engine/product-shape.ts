import * as tf from '@tensorflow/tfjs-core';

/** The sizes of a batched product op(A) [..., m, k] @ op(B) [..., k, n] = C [...outBatch, m, n]. */
export interface ProductShape {
  m: number;
  k: number;
  n: number;
  /** Broadcast batch dimensions of the result, and their product. */
  outBatch: number[];
  batch: number;
  /** Items of A and B (each either `batch` or 1, broadcast). */
  batchA: number;
  batchB: number;
}

export function sizeOf(dims: readonly number[]): number {
  return dims.reduce((x, y) => x * y, 1);
}

/**
 * The shape of a product with tfjs's MatMul semantics, or null when the batch dimensions broadcast in
 * a way the engine's kernels do not take (anything but "all items" against "all items or one"): the
 * stock kernel then decides. An inner-dimension mismatch is an error, as tfjs makes it.
 */
export function productShape(a: readonly number[], b: readonly number[], transposeA: boolean, transposeB: boolean): ProductShape | null {
  const ra = a.length;
  const rb = b.length;
  if (ra < 2 || rb < 2) return null;
  const m = transposeA ? a[ra - 1] : a[ra - 2];
  const k = transposeA ? a[ra - 2] : a[ra - 1];
  const kb = transposeB ? b[rb - 1] : b[rb - 2];
  const n = transposeB ? b[rb - 2] : b[rb - 1];
  if (k !== kb) throw new Error(`matMul: inner dimensions ${k} and ${kb} of shapes [${a}] and [${b}] differ (transposeA=${transposeA}, transposeB=${transposeB})`);
  const batchDimsA = a.slice(0, -2);
  const batchDimsB = b.slice(0, -2);
  let outBatch: number[];
  try {
    outBatch = tf.backend_util.assertAndGetBroadcastShape(batchDimsA as number[], batchDimsB as number[]);
  } catch {
    return null;
  }
  const batch = sizeOf(outBatch);
  const batchA = sizeOf(batchDimsA);
  const batchB = sizeOf(batchDimsB);
  if (!(batchA === batch || batchA === 1) || !(batchB === batch || batchB === 1)) return null;
  return { m, k, n, outBatch, batch, batchA, batchB };
}
