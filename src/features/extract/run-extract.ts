/**
 * The corpus loop of `speech-ssl extract`: list the inputs, take this shard's slice, skip what is already
 * written (resume), clear temp files a killed run left for this slice, featurize the rest on the main
 * thread or on worker threads, and report: a progress bar, one stderr line per failed file, a
 * failures.tsv, and a summary. Feature computation is entirely behind the Featurizer interface.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { processAlive, tempOwner, writeFileAtomic } from '../../util/atomic.ts';
import { describeWriteFailure, isWriteFailure } from '../../util/write-failure.ts';
import { InputError, errorMessage } from '../../util/errors.ts';
import { readNpyHeader } from '../../util/npy.ts';
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
  /** Why the run could not finish its output (a full disk under --concat); the exit status is then 1. */
  error?: string;
}

/**
 * Removes temp files that processes now gone left behind for the outputs in `paths` (other shards' are
 * left alone, and so are those of a run still going, which may write into the same folder).
 */
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
      const owner = tempOwner(f);
      if (owner && names.has(owner.target) && !processAlive(owner.pid)) {
        rmSync(join(dir, f), { force: true, recursive: true });
        removed++;
      }
    }
  }
  return removed;
}

/**
 * Whether an output already there is a whole float32 [frames, dims] .npy (a resumed run skips it); a
 * truncated, empty or foreign file is recomputed, saying so.
 */
function completeOutput(path: string, log: NodeJS.WritableStream): boolean {
  if (!existsSync(path)) return false;
  try {
    const h = readNpyHeader(path);
    if (h.descr === '<f4' && h.shape.length === 2) return true;
    log.write(`extract: ${path} holds a ${h.descr} array of shape [${h.shape}], not float32 features; recomputing it\n`);
  } catch (e) {
    log.write(`extract: ${errorMessage(e)}; recomputing it\n`);
  }
  return false;
}

/** The same for a shard: a whole .npy, and a .len with one line per input adding up to its rows. */
function completeShard(npy: string, len: string, inputs: number, log: NodeJS.WritableStream): boolean {
  if (!existsSync(npy) || !existsSync(len) || !completeOutput(npy, log)) return false;
  const lens = readFileSync(len, 'utf8').split('\n').filter((l) => l !== '').map(Number);
  const rows = readNpyHeader(npy).shape[0];
  const sum = lens.reduce((a, b) => a + b, 0);
  if (lens.every((n) => Number.isInteger(n) && n >= 0) && sum === rows && lens.length <= inputs) return true;
  log.write(`extract: ${len} does not match ${npy} (${lens.length} lengths adding up to ${sum}, ${rows} rows); recomputing the shard\n`);
  return false;
}

function writeConfig(outDir: string, f: Featurizer): void {
  const file = join(outDir, 'features.json');
  const text = JSON.stringify(f.config, null, 2) + '\n';
  if (existsSync(file)) {
    const old = readFileSync(file, 'utf8');
    if (old !== text && comparableConfig(old) !== comparableConfig(text)) throw new InputError(`${outDir} holds features made with a different configuration (see features.json); use another --out, or delete it`, { field: '--out' });
    return;
  }
  writeFileAtomic(file, text);
}

/**
 * A features.json text with its model paths (`model`, `checkpoint`, at any depth) made canonical: the
 * same model named by a relative path, an absolute one, or through a symbolic link is the same
 * configuration. Text that is not JSON is compared as it is.
 */
export function comparableConfig(text: string): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return text;
  }
  const canon = (v: unknown, key?: string): unknown => {
    if (typeof v === 'string' && (key === 'model' || key === 'checkpoint')) {
      try {
        return realpathSync(resolve(v));
      } catch {
        return resolve(v);
      }
    }
    if (Array.isArray(v)) return v.map((x) => canon(x));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, canon(x, k)]));
    return v;
  };
  return JSON.stringify(canon(value));
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
  // Check every option before the first write: a refused run leaves no features.json behind.
  const split = o.concat ? (o.split ?? list.manifestSplit) : undefined;
  if (o.concat) {
    if (!split) throw new InputError('--concat needs --split NAME when the input is not a manifest (the manifest name gives it otherwise)', { field: '--split' });
    if (!/^[\w.-]+$/.test(split)) throw new InputError(`split name must be letters, digits, '.', '-' or '_', got "${split}"`, { field: '--split' });
  }
  mkdirSync(o.outDir, { recursive: true });
  writeConfig(o.outDir, featurizer);
  const sharded = o.shard.nshard > 1;
  const failuresFile = join(o.outDir, sharded ? `failures_${o.shard.rank}_${o.shard.nshard}.tsv` : 'failures.tsv');

  let tasks: ExtractTask[];
  let writer: ConcatShardWriter | null = null;
  let shardFiles: ExtractSummary['shardFiles'];
  let skipped = 0;
  if (o.concat) {
    const stem = join(o.outDir, `${split}_${o.shard.rank}_${o.shard.nshard}`);
    shardFiles = { npy: `${stem}.npy`, len: `${stem}.len` };
    removeStaleTemps([shardFiles.npy, shardFiles.len]);
    if (!o.overwrite && completeShard(shardFiles.npy, shardFiles.len, items.length, log)) {
      skipped = items.length;
      tasks = [];
    } else {
      tasks = items.map((it, i) => ({ index: i, path: it.path, rel: it.rel, out: null, declared: it.declared }));
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
      if (!o.overwrite && completeOutput(outs[i], log)) skipped++;
      else tasks.push({ index: i, path: it.path, rel: it.rel, out: outs[i], declared: it.declared });
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
  // A shard that cannot be written (a full disk) stops taking utterances; the run still reports every file.
  let shardError: string | undefined;
  const shardFailed = (e: unknown) => {
    if (!isWriteFailure(e)) throw e;
    shardError = describeWriteFailure(e);
    writer?.abort();
    writer = null;
    if (log.isTTY) log.write('\r\x1b[K');
    log.write(`extract: ${shardError}; the shard file is not written\n`);
  };
  const appendReady = () => {
    while (writer && nextToAppend < tasks.length && pending.has(tasks[nextToAppend].index)) {
      const r = pending.get(tasks[nextToAppend].index)!;
      pending.delete(tasks[nextToAppend].index);
      try {
        if (r.ok && r.data) writer.append({ data: r.data, frames: r.frames, dims: r.dims });
      } catch (e) {
        shardFailed(e);
      }
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
    if (writer) {
      try {
        writer.finish(featurizer.dims);
      } catch (e) {
        shardFailed(e);
      }
    }
  } catch (e) {
    writer?.abort();
    throw e;
  } finally {
    await featurizer.dispose?.();
  }

  let failuresNote = `failures in ${failuresFile}`;
  try {
    if (failures.length > 0) {
      writeFileAtomic(failuresFile, 'path\terror\n' + failures.map((f) => `${oneLine(f.path)}\t${oneLine(f.message)}\n`).join(''));
    } else if (existsSync(failuresFile)) {
      rmSync(failuresFile);
    }
  } catch (e) {
    if (!isWriteFailure(e)) throw e;
    // A full or read-only disk: the failures were printed one a line above; say the list was not saved.
    failuresNote = `${failuresFile} not written (${describeWriteFailure(e)}): the failures are the lines above`;
  }
  const wallSeconds = progress.elapsedSeconds;
  const parts = [`${items.length} files`, `${written} written`, `${skipped} already done`, `${failures.length} failed`];
  const rate = wallSeconds > 0 ? `, ${formatNumber(audioSeconds / wallSeconds)}x real time` : '';
  let summary = `${parts.join(', ')}; ${formatNumber(audioSeconds / 3600)} h of audio, ${frames} frames${rate}`;
  if (shardFiles && writer) summary += `; wrote ${shardFiles.npy} + .len${failures.length ? ` (without the ${failures.length} failed files: the .len no longer lines up with the input list)` : ''}`;
  if (shardError) summary += `; ${shardFiles?.npy ?? 'the shard'} NOT written: ${shardError}`;
  if (failures.length) summary += `; ${failuresNote}`;
  progress.finish(summary);
  return { total: items.length, written: shardError ? 0 : written, skipped, failures, frames, audioSeconds, wallSeconds, shardFiles: shardError ? undefined : shardFiles, error: shardError };
}
