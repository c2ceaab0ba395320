/**
 * A progress reporter: a redrawn bar on a terminal (stderr is a TTY), a plain summary line otherwise.
 * Callers pass `done`, `total` and extra fields (loss, lr, files/s...); ETA comes from the elapsed rate.
 */
export interface ProgressOptions {
  label: string;
  total: number;
  stream?: NodeJS.WriteStream;
  /** Minimum milliseconds between redraws. */
  intervalMs?: number;
}

export class Progress {
  private readonly start = Date.now();
  private last = 0;
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY) && !process.env.CI;
  }

  get elapsedSeconds(): number {
    return (Date.now() - this.start) / 1000;
  }

  update(done: number, fields: Record<string, string | number> = {}): void {
    if (!this.tty) return;
    const now = Date.now();
    if (now - this.last < (this.opts.intervalMs ?? 200) && done < this.opts.total) return;
    this.last = now;
    const frac = this.opts.total > 0 ? Math.min(1, done / this.opts.total) : 1;
    const width = 24;
    const filled = Math.round(frac * width);
    const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
    const el = this.elapsedSeconds;
    const eta = done > 0 ? (el / done) * (this.opts.total - done) : NaN;
    const extra = Object.entries(fields)
      .map(([k, v]) => `${k} ${typeof v === 'number' ? formatNumber(v) : v}`)
      .join('  ');
    this.stream.write(`\r${this.opts.label} [${bar}] ${done}/${this.opts.total}  ${extra}  ETA ${formatDuration(eta)}\x1b[K`);
  }

  /** Ends the bar (TTY) and prints a one-line summary in every case. */
  finish(summary: string): void {
    if (this.tty) this.stream.write('\r\x1b[K');
    this.stream.write(`${this.opts.label}: ${summary} (${formatDuration(this.elapsedSeconds)})\n`);
  }
}

/** Metrics that count things (the epoch a training row is in, steps, items): printed as integers. */
const COUNTER_METRICS: ReadonlySet<string> = new Set(['epoch', 'step', 'items', 'frames', 'tensors']);

/** A metric's value for a log line: counters as integers (`epoch 0`, not `epoch 0.0000`), the rest by formatNumber. */
export function formatMetric(name: string, v: number): string {
  return COUNTER_METRICS.has(name) && Number.isInteger(v) ? String(v) : formatNumber(v);
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return a >= 100 ? v.toFixed(0) : a >= 1 ? v.toFixed(2) : v.toFixed(4);
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
