import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.ts';
import { frameRecord, readRecords } from './tfrecord.ts';
import { eventStep, fileVersionEvent, summaryEvent, type SummaryValue } from './event-proto.ts';

/**
 * A TensorBoard event file, `events.out.tfevents.<unix seconds>.<host>` in `dir`: the file_version event
 * first, then one Event per `write` (every value of one step), each written straight to the file so
 * TensorBoard sees a step as soon as it is logged. `tensorboard --logdir` on any folder above reads it.
 */
export class EventFileWriter {
  readonly path: string;
  private fd: number | undefined;

  constructor(dir: string, options: { suffix?: string; now?: () => number } = {}) {
    mkdirSync(dir, { recursive: true });
    this.now = options.now ?? (() => Date.now() / 1000);
    const t = this.now();
    const base = `events.out.tfevents.${Math.floor(t)}.${hostname().replace(/[^A-Za-z0-9_.-]/g, '_')}`;
    let path = join(dir, base + (options.suffix ?? ''));
    // Two writers started within one second in one folder (a quick resume) get distinct files.
    for (let i = 1; existsSync(path); i++) path = join(dir, `${base}.${process.pid}.${i}${options.suffix ?? ''}`);
    this.path = path;
    this.fd = openSync(path, 'wx');
    writeSync(this.fd, frameRecord(fileVersionEvent(t)));
  }

  private readonly now: () => number;

  /** One Event holding `values` at `step`. */
  write(step: number, values: SummaryValue[]): void {
    if (this.fd === undefined) throw new Error(`${this.path}: the event file is closed`);
    if (values.length === 0) return;
    writeSync(this.fd, frameRecord(summaryEvent(this.now(), step, values)));
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** The event files directly in `dir`, in name order (TensorBoard's reading order). */
export function eventFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.includes('tfevents') && !n.startsWith('.'))
    .sort()
    .map((n) => join(dir, n));
}

/**
 * For a run resumed at `step`: rewrites the event files in `dir` without the events after `step` (and
 * without a record cut short by a kill), so TensorBoard shows the run as if it had never stopped, as
 * `metrics.jsonl` does. A file left with no values at all is removed.
 */
export function dropEventsAfter(dir: string, step: number): void {
  for (const file of eventFiles(dir)) {
    const { records, trailing } = readRecords(readFileSync(file), file);
    const kept = records.filter((r, i) => i === 0 || eventStep(r) <= step);
    if (kept.length === records.length && trailing === 0) continue;
    if (kept.length <= 1) rmSync(file);
    else writeFileAtomic(file, Buffer.concat(kept.map((r) => frameRecord(r))));
  }
}
