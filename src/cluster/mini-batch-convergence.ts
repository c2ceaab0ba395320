/**
 * The early-stopping rule of scikit-learn 1.2's MiniBatchKMeans (`_mini_batch_convergence`), step by step:
 * - the batch inertia (computed with the centres before the step's update) is divided by the batch size;
 * - the first step (0-based step 0) only reports: its inertia comes from the initialisation;
 * - from the second step on, an exponentially weighted average with alpha = min(2 * batch / (n + 1), 1),
 *   started at the second step's value;
 * - stop when tol > 0 and the squared change of all centres in the step is <= tol;
 * - otherwise count the steps since the smoothed inertia last reached a new minimum (strictly lower) and
 *   stop when the count reaches maxNoImprovement (here 0 means never; scikit-learn's None).
 */
export type StopReason = 'tol' | 'max_no_improvement';

export class MiniBatchConvergence {
  /** The smoothed (mean per row) batch inertia; null until the second step. */
  ewa: number | null = null;
  ewaMin: number | null = null;
  noImprovement = 0;
  private readonly alpha: number;

  constructor(private readonly batchSize: number, nSamples: number, private readonly tol: number, private readonly maxNoImprovement: number) {
    this.alpha = Math.min((batchSize * 2) / (nSamples + 1), 1);
  }

  /** `step` counts from 0 (scikit-learn's loop index); returns why to stop after this step, or null. */
  update(step: number, batchInertia: number, centersSquaredDiff: number): StopReason | null {
    const inertia = batchInertia / this.batchSize;
    if (step === 0) return null;
    this.ewa = this.ewa === null ? inertia : this.ewa * (1 - this.alpha) + inertia * this.alpha;
    if (this.tol > 0 && centersSquaredDiff <= this.tol) return 'tol';
    if (this.ewaMin === null || this.ewa < this.ewaMin) {
      this.noImprovement = 0;
      this.ewaMin = this.ewa;
    } else {
      this.noImprovement++;
    }
    if (this.maxNoImprovement > 0 && this.noImprovement >= this.maxNoImprovement) return 'max_no_improvement';
    return null;
  }
}
