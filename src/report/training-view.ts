import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../util/errors.ts';
import type { MetricsRow } from '../train/metrics-log.ts';
import type { TrainerHooks } from '../train/trainer.ts';
import { EventFileWriter, dropEventsAfter, eventFiles } from './tensorboard-writer.ts';
import { clusterUsageHistogram, type SummaryValue } from './event-proto.ts';
import { writeRunReport } from './run-report.ts';

/**
 * What a training run shows while it runs, fed by the Trainer's `onLog` hook:
 * - TensorBoard event files, `<run>/tb/train/events.out.tfevents.*` (every numeric field of each training
 *   row: the losses and metrics, `lr`, `grad_norm`, `steps_per_s`, `epoch`, `tensors`) and
 *   `<run>/tb/valid/...` (each validation row, tags without the `valid/` prefix), one Event per logged
 *   step, on disk as soon as it is logged. Train and valid are two TensorBoard runs with the same tags,
 *   so `tensorboard --logdir exp` draws them in one chart, as fairseq's logs do.
 * - `report.html`, rewritten (atomically) after every validation and at most every `reportEverySeconds`
 *   between them, reloading itself in the browser while the run goes.
 * A failure to write the page is reported once and does not stop training.
 */
export interface TrainingViewOptions {
  title?: string;
  tensorboard?: boolean;
  report?: boolean;
  /** Rewrite the page on a training row when this long has passed since the last write (default 60). */
  reportEverySeconds?: number;
  /** The live page's reload interval in the browser (default 30 s). */
  refreshSeconds?: number;
  smoothing?: number;
  warn?: (message: string) => void;
}

export const TB_DIR = 'tb';

/** The numeric fields of a row as scalars; `valid/` prefixes dropped. */
export function rowScalars(row: MetricsRow): SummaryValue[] {
  const out: SummaryValue[] = [];
  for (const [k, v] of Object.entries(row)) {
    if (k === 'step' || typeof v !== 'number') continue;
    out.push({ tag: k.startsWith('valid/') ? k.slice(6) : k, scalar: v });
  }
  return out;
}

export class TrainingView {
  private readonly writers = new Map<'train' | 'valid', EventFileWriter>();
  private lastReport = Date.now();
  private warned = false;

  constructor(readonly runDir: string, private readonly options: TrainingViewOptions = {}) {}

  /** Before the first row: forget what an earlier attempt logged after `step` (0 for a fresh run). */
  startAt(step: number): void {
    if (this.options.tensorboard === false) return;
    for (const split of ['train', 'valid']) dropEventsAfter(join(this.runDir, TB_DIR, split), step);
  }

  hooks(): Required<Pick<TrainerHooks, 'onLog'>> {
    return { onLog: (row) => this.log(row) };
  }

  log(row: MetricsRow): void {
    const split = row.split === 'valid' ? 'valid' : 'train';
    if (this.options.tensorboard !== false) {
      let w = this.writers.get(split);
      if (!w) this.writers.set(split, (w = new EventFileWriter(join(this.runDir, TB_DIR, split))));
      w.write(row.step, rowScalars(row));
    }
    const every = (this.options.reportEverySeconds ?? 60) * 1000;
    if (this.options.report !== false && (split === 'valid' || Date.now() - this.lastReport >= every)) this.writeReport();
  }

  private writeReport(): void {
    this.lastReport = Date.now();
    try {
      writeRunReport(this.runDir, this.options.title, { smoothing: this.options.smoothing, refreshSeconds: this.options.refreshSeconds ?? 30 });
    } catch (e) {
      if (!this.warned) (this.options.warn ?? ((m: string) => process.emitWarning(m)))(`the live report was not written: ${errorMessage(e)}`);
      this.warned = true;
    }
  }

  close(): void {
    for (const w of this.writers.values()) w.close();
    this.writers.clear();
  }
}

const CLUSTER_SUFFIX = '.cluster-usage';

/**
 * The cluster-usage histogram (frames per id) as a TensorBoard histogram `cluster_usage` at `step`, in its
 * own event file under `<run>/tb/train` (replacing the one an earlier `speech-ssl report` wrote).
 */
export function writeClusterUsageEvents(runDir: string, counts: number[], step: number): string {
  const dir = join(runDir, TB_DIR, 'train');
  for (const f of eventFiles(dir)) if (f.endsWith(CLUSTER_SUFFIX)) rmSync(f);
  const w = new EventFileWriter(dir, { suffix: CLUSTER_SUFFIX });
  try {
    w.write(step, [{ tag: 'cluster_usage', histogram: clusterUsageHistogram(counts) }]);
  } finally {
    w.close();
  }
  return w.path;
}
