import type { MiniBatchStepKernel } from './mini-batch-step-kernel.ts';

/**
 * Nearest-centre assignment of mini-batches that skips rows whose nearest centre provably has not changed
 * since the row was last assigned (one lower bound per row, as in Hamerly's k-means, 2010).
 *
 * When a row is assigned in full we keep its centre a and a lower bound l on its distance to every other
 * centre. Centres then move; D is the running sum, over steps, of the largest distance any centre moved in
 * that step, so no centre has moved more than D_now - D_then since. By the triangle inequality every other
 * centre is still at least l - (D_now - D_then) away, so when the exact distance to a is no larger, a is
 * still the nearest and the row costs one distance instead of k. The result is the same assignment as the
 * brute-force one (up to float rounding on near ties: margins below cover the rounding of the kernels).
 */
export class BoundedAssignment {
  private drift = 0;
  /** Rows assigned in full / rows skipped by the bound, over the run. */
  full = 0;
  skipped = 0;

  /** `rowSqNorms`: squared norm of every data row (for the rounding margin of the second distance). */
  constructor(private readonly rowSqNorms: Float64Array) {}

  /**
   * Assigns kernel.rows[0..count) to the centres loaded in `kernel` (whose per-row state this keeps):
   * writes kernel.labels and kernel.dists (squared distances) and returns their sum (float64).
   */
  assign(kernel: MiniBatchStepKernel, count: number): number {
    const { rows, labels, dists, todo, assigned, lowerPlusDrift } = kernel;
    const drift = this.drift;
    kernel.gather(count);
    // dists there are float32 sums of squared differences: relative error well below the 1e-5 margin.
    const m = kernel.selectUnchanged(count, drift);
    kernel.assignTodo(m);
    const cn = kernel.maxCentroidSqNorm;
    for (let q = 0; q < m; q++) {
      const i = todo[q], r = rows[i];
      labels[i] = kernel.todoLabels[q];
      dists[i] = kernel.todoDists[q];
      assigned[r] = kernel.todoLabels[q];
      // The SIMD kernel forms ||x||^2 + ||c||^2 - 2 x.c in float32: allow for its cancellation error.
      const second = kernel.todoSecond[q] - 1e-5 * (this.rowSqNorms[r] + cn);
      lowerPlusDrift[r] = (second > 0 ? Math.sqrt(second) : 0) + drift;
    }
    this.full += m;
    this.skipped += count - m;
    let sum = 0;
    for (let i = 0; i < count; i++) sum += dists[i];
    return sum;
  }

  /** Records that no centre moved further than `maxMove` (Euclidean) since the last call. */
  centresMoved(maxMove: number): void {
    this.drift += maxMove * (1 + 1e-9);
  }
}
