import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic.ts';

/** One logged row: `step` and `split` (`train` or `valid`) plus numeric fields. */
export type MetricsRow = { step: number; split: 'train' | 'valid' } & Record<string, number | string>;

/**
 * `metrics.jsonl`: one JSON object per logged step, appended as the run goes. A resumed run first drops
 * the rows after the step it resumes from (and a half-written last line), so the file reads as if the run
 * had never stopped.
 */
export class MetricsLog {
  constructor(readonly file: string) {}

  /** Keeps only rows with step <= `step`. */
  truncateAfter(step: number): void {
    if (!existsSync(this.file)) return;
    const kept: string[] = [];
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const row = JSON.parse(line) as { step?: number };
        if (typeof row.step === 'number' && row.step <= step) kept.push(line);
      } catch {
        // A line cut short by a kill: dropped.
      }
    }
    writeFileAtomic(this.file, kept.length ? kept.join('\n') + '\n' : '');
  }

  write(row: MetricsRow): void {
    appendFileSync(this.file, JSON.stringify(row, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)) + '\n');
  }
}
