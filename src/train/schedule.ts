/**
 * Learning-rate schedules: an optional linear warmup, then constant, linear or cosine decay.
 *
 * `lrAt(step)` is the rate for the update with 0-based index `step` (the number of updates already
 * applied). Warmup rises linearly from `peakLr / warmupSteps` (update 0) to `peakLr` (update
 * `warmupSteps - 1`), as fairseq's polynomial_decay, which starts at one warmup increment rather than
 * wasting an update at rate 0. After warmup the decay runs over the remaining `totalSteps - warmupSteps`
 * updates from `peakLr` to `finalLr` (reached at `step = totalSteps`), and stays at `finalLr` past it.
 */
export type ScheduleKind = 'constant' | 'linear' | 'cosine';
export const SCHEDULE_KINDS: readonly ScheduleKind[] = ['constant', 'linear', 'cosine'];

export interface ScheduleConfig {
  kind: ScheduleKind;
  peakLr: number;
  warmupSteps: number;
  /** Total updates of the run (the decay ends here). Unused by `constant`. */
  totalSteps: number;
  /** Rate at the end of the decay, as a fraction of `peakLr`. */
  finalLrScale: number;
}

export const SCHEDULE_DEFAULTS: ScheduleConfig = { kind: 'linear', peakLr: 5e-4, warmupSteps: 0, totalSteps: 1000, finalLrScale: 0 };

/** Checks a schedule config; throws naming the field. */
export function validateSchedule(c: ScheduleConfig): void {
  if (!SCHEDULE_KINDS.includes(c.kind)) throw new Error(`schedule.kind: expected one of ${SCHEDULE_KINDS.join('|')}, got "${c.kind}"`);
  if (!(c.peakLr >= 0) || !Number.isFinite(c.peakLr)) throw new Error(`schedule.peakLr: expected a finite number >= 0, got ${c.peakLr}`);
  if (!Number.isInteger(c.warmupSteps) || c.warmupSteps < 0) throw new Error(`schedule.warmupSteps: expected an integer >= 0, got ${c.warmupSteps}`);
  if (!Number.isInteger(c.totalSteps) || c.totalSteps < 1) throw new Error(`schedule.totalSteps: expected an integer >= 1, got ${c.totalSteps}`);
  if (c.kind !== 'constant' && c.warmupSteps > c.totalSteps) throw new Error(`schedule.warmupSteps: ${c.warmupSteps} exceeds totalSteps ${c.totalSteps}`);
  if (!(c.finalLrScale >= 0 && c.finalLrScale <= 1)) throw new Error(`schedule.finalLrScale: expected a number in [0, 1], got ${c.finalLrScale}`);
}

/** Cosine interpolation from `start` (progress 0) to `end` (progress 1); progress is clamped to [0, 1]. */
export function cosineInterpolate(start: number, end: number, progress: number): number {
  const p = Math.min(1, Math.max(0, progress));
  return end + (start - end) * 0.5 * (1 + Math.cos(Math.PI * p));
}

/** Linear interpolation from `start` (progress 0) to `end` (progress 1), clamped. */
export function linearInterpolate(start: number, end: number, progress: number): number {
  const p = Math.min(1, Math.max(0, progress));
  return start + (end - start) * p;
}

export class LrSchedule {
  readonly config: ScheduleConfig;

  constructor(config: Partial<ScheduleConfig> = {}) {
    this.config = { ...SCHEDULE_DEFAULTS, ...config };
    validateSchedule(this.config);
  }

  lrAt(step: number): number {
    const { kind, peakLr, warmupSteps, totalSteps, finalLrScale } = this.config;
    if (!Number.isInteger(step) || step < 0) throw new Error(`LrSchedule.lrAt: step must be an integer >= 0, got ${step}`);
    if (step < warmupSteps) return (peakLr * (step + 1)) / warmupSteps;
    if (kind === 'constant') return peakLr;
    const finalLr = peakLr * finalLrScale;
    const span = totalSteps - warmupSteps;
    const progress = span > 0 ? (step - warmupSteps) / span : 1;
    return kind === 'linear' ? linearInterpolate(peakLr, finalLr, progress) : cosineInterpolate(peakLr, finalLr, progress);
  }
}
