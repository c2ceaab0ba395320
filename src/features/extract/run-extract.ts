/**
 * The corpus loop of `speech-ssl extract`: list the inputs, take this shard's slice, skip what is already
 * written (resume), clear temp files a killed run left for this slice, featurize the rest on the main
 * thread or on worker threads, and report: a progress bar, one stderr line per failed file, a
 * failures.tsv, and a summary. Feature computation is entirely behind the Featurizer interface.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic } from '../../util/atomic.ts';
import { InputError } from '../../util/errors.ts';
import { Progress, formatNumber } from '../../util/progress.ts';
import { createFeaturizer, type Featurizer } from '../featurizer.ts';
import type { OptionValues } from '../feature-options.ts';
import { listInputs, outputPathFor, shardRange, type InputItem } from './inputs.ts';
import { ConcatShardWriter } from './npy-writers.ts';
import { runOnWorkers } from './pool.ts';
import { processTask, type ExtractResult, type ExtractTask } from './process-task.ts';
import { runBatched } from './batched.ts';

export interface ExtractOptions {
  inputs: string[];
  outDir: string;
  features: string;
  values: OptionValues;
  shard: { rank: number; nshard: number };
  jobs: number;
  /** Write fairseq shard files instead of one .npy per input. */
  concat: boolean;
  /** Split name for shard files (default: the manifest's name). */
  split?: string;
  /** Recompute outputs that exist. */
  overwrite: boolean;
  /** Where progress and failure lines go (default stderr). */
  log?: NodeJS.WriteStream;
}

export interface ExtractFailure {
  path: string;
  message: string;
}

export interface ExtractSummary {
  /** Inputs in this shard. */
  total: number;
  written: number;
  /** Already done (resume). */
  skipped: number;
  failures: ExtractFailure[];
  frames: number;
  audioSeconds: number;
  wallSeconds: number;
  /** Shard files written with --concat. */
  shardFiles?: { npy: string; len: string };
}

const TEMP_NAME = /^\.(.+)\.\d+\.\d+\.tmp$/;

/** Removes temp files a killed run left behind for the outputs in `paths` (other shards' are left alone). */
export function removeStaleTemps(paths: readonly string[]): number {
  const byDir = new Map<string, Set<string>>();
  for (const p of paths) {
    const d = dirname(p);
    if (!byDir.has(d)) byDir.set(d, new Set());
    byDir.get(d)!.add(basename(p));
  }
  let removed = 0;
  for (const [dir, names] of byDir) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) {
      const m = TEMP_NAME.exec(f);
      if (m && names.has(m[1])) {
        rmSync(join(dir, f), { force: true, recursive: true });
        removed++;
      }
    }
  }
  return removed;
}

function writeConfig(outDir: string, f: Featurizer): void {
  const file = join(outDir, 'features.json');
  const text = JSON.stringify(f.config, null, 2) + '\n';
  if (existsSync(file)) {
    const old = readFileSync(file, 'utf8');
    if (old !== text) throw new InputError(`${outDir} holds features made with a different configuration (see features.json); use another --out, or delete it`, { field: '--out' });
    return;
  }
  writeFileAtomic(file, text);
}

function oneLine(s: string): string {
  return s.replace(/[\t\r\n]+/g, ' ');
}

export async function runExtract(o: ExtractOptions): Promise<ExtractSummary> {
  const log = o.log ?? process.stderr;
  const featurizer = await createFeaturizer(o.features, o.values);
  const list = listInputs(o.inputs);
  const [start, end] = shardRange(list.items.length, o.shard.rank, o.shard.nshard);
  const items: InputItem[] = list.items.slice(start, end);
  mkdirSync(o.outDir, { recursive: true });
  writeConfig(o.outDir, featurizer);
  const sharded = o.shard.nshard > 1;
  const failuresFile = join(o.outDir, sharded ? `failures_${o.shard.rank}_${o.shard.nshard}.tsv` : 'failures.tsv');

  let tasks: ExtractTask[];
  let writer: ConcatShardWriter | null = null;
  let shardFiles: ExtractSummary['shardFiles'];
  let skipped = 0;
  if (o.concat) {
    const split = o.split ?? list.manifestSplit;
    if (!split) throw new InputError('--concat needs --split NAME when the input is not a manifest (the manifest name gives it otherwise)', { field: '--split' });
    if (!/^[\w.-]+$/.test(split)) throw new InputError(`split name must be letters, digits, '.', '-' or '_', got "${split}"`, { field: '--split' });
    const stem = join(o.outDir, `${split}_${o.shard.rank}_${o.shard.nshard}`);
    shardFiles = { npy: `${stem}.npy`, len: `${stem}.len` };
    removeStaleTemps([shardFiles.npy, shardFiles.len]);
    if (!o.overwrite && existsSync(shardFiles.npy) && existsSync(shardFiles.len)) {
      skipped = items.length;
      tasks = [];
    } else {
      tasks = items.map((it, i) => ({ index: i, path: it.path, rel: it.rel, out: null }));
      writer = new ConcatShardWriter(shardFiles.npy, shardFiles.len);
    }
  } else {
    const outs = items.map((it) => outputPathFor(o.outDir, it.rel));
    const seen = new Map<string, string>();
    outs.forEach((p, i) => {
      const prev = seen.get(p);
      if (prev) throw new InputError(`two inputs map to the same output ${p}: ${prev} and ${items[i].path}`);
      seen.set(p, items[i].path);
    });
    removeStaleTemps(outs);
    tasks = [];
    items.forEach((it, i) => {
      if (!o.overwrite && existsSync(outs[i])) skipped++;
      else tasks.push({ index: i, path: it.path, rel: it.rel, out: outs[i] });
    });
  }

  const progress = new Progress({ label: 'extract', total: tasks.length, stream: log });
  const failures: ExtractFailure[] = [];
  let written = 0;
  let frames = 0;
  let audioSeconds = 0;
  let done = 0;
  // Shard files take utterances in input order; results may finish out of order on workers.
  const pending = new Map<number, ExtractResult>();
  let nextToAppend = 0;
  const appendReady = () => {
    while (writer && nextToAppend < tasks.length && pending.has(tasks[nextToAppend].index)) {
      const r = pending.get(tasks[nextToAppend].index)!;
      pending.delete(tasks[nextToAppend].index);
      if (r.ok && r.data) writer.append({ data: r.data, frames: r.frames, dims: r.dims });
      nextToAppend++;
    }
  };
  const byIndex = new Map(tasks.map((t) => [t.index, t]));
  const onResult = (r: ExtractResult) => {
    done++;
    const task = byIndex.get(r.index)!;
    if (r.ok) {
      written++;
      frames += r.frames;
      audioSeconds += r.seconds;
    } else {
      failures.push({ path: task.path, message: r.message });
      if (log.isTTY) log.write('\r\x1b[K');
      log.write(`extract: skipped ${task.path}: ${r.message}\n`);
    }
    if (writer) {
      pending.set(r.index, r);
      appendReady();
    }
    const el = progress.elapsedSeconds || 1e-9;
    progress.update(done, { 'files/s': done / el, 'audio h/s': audioSeconds / 3600 / el });
  };

  try {
    if (o.jobs > 1 && tasks.length > 1) {
      await runOnWorkers(tasks, o.jobs, o.features, o.values, onResult);
    } else if (featurizer.computeBatch && (featurizer.batchSize ?? 1) > 1) {
      await runBatched(tasks, featurizer, onResult);
    } else {
      for (const t of tasks) onResult(await processTask(t, featurizer));
    }
    if (writer) writer.finish(featurizer.dims);
  } catch (e) {
    writer?.abort();
    throw e;
  } finally {
    await featurizer.dispose?.();
  }

  if (failures.length > 0) {
    writeFileAtomic(failuresFile, 'path\terror\n' + failures.map((f) => `${oneLine(f.path)}\t${oneLine(f.message)}\n`).join(''));
  } else if (existsSync(failuresFile)) {
    rmSync(failuresFile);
  }
  const wallSeconds = progress.elapsedSeconds;
  const parts = [`${items.length} files`, `${written} written`, `${skipped} already done`, `${failures.length} failed`];
  const rate = wallSeconds > 0 ? `, ${formatNumber(audioSeconds / wallSeconds)}x real time` : '';
  let summary = `${parts.join(', ')}; ${formatNumber(audioSeconds / 3600)} h of audio, ${frames} frames${rate}`;
  if (shardFiles && writer) summary += `; wrote ${shardFiles.npy} + .len${failures.length ? ` (without the ${failures.length} failed files: the .len no longer lines up with the input list)` : ''}`;
  if (failures.length) summary += `; failures in ${failuresFile}`;
  progress.finish(summary);
  return { total: items.length, written, skipped, failures, frames, audioSeconds, wallSeconds, shardFiles };
}
