import { existsSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isStaleTemp, writeDirAtomic, writeFileAtomic } from '../util/atomic.ts';
import { InputError } from '../util/errors.ts';
import { isWriteFailure } from '../util/write-failure.ts';
import type { JsonValue } from '../util/fields.ts';
import { readSafetensors, writeSafetensors, type NamedArray } from './safetensors.ts';
import { CHECKSUM_FILE, verifyChecksums, writeChecksums } from './checksums.ts';

/**
 * A checkpoint is a folder, written atomically (built beside its final name, then renamed):
 *   model.json             what the weights are: encoder kind and config, the method entries (name, key,
 *                          weight, layer, config), every tensor's name, shape and role
 *   weights.safetensors    trainable parameters and buffers (EMA targets, frozen teachers), float32, by name
 *   optimizer.safetensors  AdamW moments as `<param>.exp_avg` / `<param>.exp_avg_sq`; the per-parameter
 *                          step counts and hyper-parameters in the header's __metadata__
 *   trainer.json           step, seed, data order and position, method states, best metric, the run config
 *   checksums.sha256       SHA-256 of the four files above (`sha256sum -c` reads it), checked on load
 * trainer.json is written before the checksums, so a folder that has it is complete. A run folder's checkpoints live in
 * `<out>/checkpoints/step-<9 digits>/`; `best.json` there names the best one.
 */
export const CHECKPOINT_FORMAT = 'speech-ssl/checkpoint';
export const CHECKPOINT_VERSION = 1;
const FILES = ['model.json', 'weights.safetensors', 'optimizer.safetensors', 'trainer.json'] as const;

/** Prefix of the shared encoder's tensors in checkpoints. */
export const ENCODER_PREFIX = 'encoder.';

export type TensorRole = 'encoder' | 'method' | 'buffer';

export interface ModelJson {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  step: number;
  encoder: Record<string, JsonValue>;
  methods: { name: string; key: string; weight: number; weightEnd?: number; layer?: number; config: JsonValue }[];
  tensors: Record<string, { shape: number[]; role: TensorRole }>;
}

export interface OptimizerSlot {
  step: number;
  expAvg: NamedArray;
  expAvgSq: NamedArray;
}

export interface TrainerJson {
  step: number;
  seed: number;
  epoch: number;
  data: JsonValue;
  methods: Record<string, JsonValue>;
  best: { metric: string; value: number; step: number } | null;
  /** Seconds spent training so far (all sessions). */
  elapsed: number;
  config: JsonValue;
}

export interface CheckpointContents {
  model: ModelJson;
  weights: Map<string, NamedArray>;
  optimizer: { hyper: Record<string, number>; slots: Map<string, OptimizerSlot> };
  trainer: TrainerJson;
}

/** Called after each file is written into the temporary folder (tests crash the process here). */
export type CheckpointFileHook = (file: string) => void;

/** Writes a checkpoint folder atomically. */
export function saveCheckpoint(dir: string, c: CheckpointContents, afterFile?: CheckpointFileHook): void {
  writeDirAtomic(dir, (tmp) => {
    const put = (name: string, write: (path: string) => void) => {
      try {
        write(join(tmp, name));
      } catch (e) {
        // A full or read-only disk: name the checkpoint, not its temporary folder (which is removed).
        if (isWriteFailure(e)) e.path = join(dir, name);
        throw e;
      }
      afterFile?.(join(tmp, name));
    };
    put('model.json', (p) => writeFileSync(p, JSON.stringify(c.model, null, 1) + '\n'));
    put('weights.safetensors', (p) => writeSafetensors(p, c.weights, { format: CHECKPOINT_FORMAT, step: String(c.model.step) }));
    const moments = new Map<string, NamedArray>();
    const steps: Record<string, number> = {};
    for (const [name, s] of c.optimizer.slots) {
      moments.set(`${name}.exp_avg`, s.expAvg);
      moments.set(`${name}.exp_avg_sq`, s.expAvgSq);
      steps[name] = s.step;
    }
    put('optimizer.safetensors', (p) => writeSafetensors(p, moments, { optimizer: 'adamw', hyper: JSON.stringify(c.optimizer.hyper), steps: JSON.stringify(steps) }));
    put('trainer.json', (p) => writeFileSync(p, JSON.stringify(c.trainer) + '\n'));
    put(CHECKSUM_FILE, () => writeChecksums(tmp, FILES));
  });
}

/** Reads a checkpoint folder after checking its checksums; errors name the missing, damaged or malformed file. */
export function loadCheckpoint(dir: string): CheckpointContents {
  for (const f of FILES) if (!existsSync(join(dir, f))) throw new InputError(`incomplete checkpoint: ${f} is missing`, { file: dir });
  verifyChecksums(dir, FILES);
  const model = readJson(join(dir, 'model.json')) as unknown as ModelJson;
  if (model.format !== CHECKPOINT_FORMAT) throw new InputError(`not a speech-ssl checkpoint (format "${String(model.format)}")`, { file: join(dir, 'model.json') });
  if (model.version !== CHECKPOINT_VERSION) throw new InputError(`checkpoint version ${model.version}, this build reads ${CHECKPOINT_VERSION}`, { file: join(dir, 'model.json') });
  const weights = readSafetensors(join(dir, 'weights.safetensors')).tensors;
  const opt = readSafetensors(join(dir, 'optimizer.safetensors'));
  const steps = JSON.parse(opt.metadata.steps ?? '{}') as Record<string, number>;
  const slots = new Map<string, OptimizerSlot>();
  for (const [name, step] of Object.entries(steps)) {
    const expAvg = opt.tensors.get(`${name}.exp_avg`);
    const expAvgSq = opt.tensors.get(`${name}.exp_avg_sq`);
    if (!expAvg || !expAvgSq) throw new InputError(`optimizer moments of "${name}" are missing`, { file: join(dir, 'optimizer.safetensors') });
    slots.set(name, { step, expAvg, expAvgSq });
  }
  const hyper = JSON.parse(opt.metadata.hyper ?? '{}') as Record<string, number>;
  const trainer = readJson(join(dir, 'trainer.json')) as unknown as TrainerJson;
  return { model, weights, optimizer: { hyper, slots }, trainer };
}

function readJson(file: string): JsonValue {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as JsonValue;
  } catch (e) {
    throw new InputError(`unreadable: ${(e as Error).message}`, { file });
  }
}

export function checkpointName(step: number): string {
  return `step-${String(step).padStart(9, '0')}`;
}

/** The checkpoints of one run folder: list, save with retention, best pointer, latest. */
export class CheckpointStore {
  readonly dir: string;

  constructor(outDir: string) {
    this.dir = join(outDir, 'checkpoints');
  }

  /** Steps of the complete checkpoints, ascending. Half-written (temporary) folders are not listed. */
  steps(): number[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .map((n) => /^step-(\d{9})$/.exec(n))
      .filter((m): m is RegExpExecArray => m !== null && existsSync(join(this.dir, m[0], 'trainer.json')))
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  }

  pathOf(step: number): string {
    return join(this.dir, checkpointName(step));
  }

  latest(): string | undefined {
    const s = this.steps();
    return s.length ? this.pathOf(s[s.length - 1]) : undefined;
  }

  best(): { step: number; metric: string; value: number } | undefined {
    const f = join(this.dir, 'best.json');
    if (!existsSync(f)) return undefined;
    return JSON.parse(readFileSync(f, 'utf8')) as { step: number; metric: string; value: number };
  }

  /** Writes the checkpoint of `step`, marks it best if asked, then keeps the last `keepLast` and the best. */
  save(c: CheckpointContents, keepLast: number, isBest: boolean, afterFile?: CheckpointFileHook): string {
    const path = this.pathOf(c.trainer.step);
    saveCheckpoint(path, c, afterFile);
    if (isBest && c.trainer.best) {
      writeFileAtomic(join(this.dir, 'best.json'), JSON.stringify({ ...c.trainer.best, dir: checkpointName(c.trainer.step) }) + '\n');
    }
    this.prune(keepLast);
    return path;
  }

  /** Removes checkpoints beyond the last `keepLast` (never the best), and leftovers of interrupted writes. */
  prune(keepLast: number): void {
    const steps = this.steps();
    const best = this.best()?.step;
    const keep = new Set(steps.slice(-keepLast));
    if (best !== undefined) keep.add(best);
    for (const s of steps) if (!keep.has(s)) rmSync(this.pathOf(s), { recursive: true, force: true });
    this.removeTemporaries();
  }

  /** Deletes `.step-*.tmp` folders left by a process killed while writing (never those of a live process). */
  removeTemporaries(): void {
    if (!existsSync(this.dir)) return;
    for (const n of readdirSync(this.dir)) {
      if (isStaleTemp(n) && statSync(join(this.dir, n)).isDirectory()) rmSync(join(this.dir, n), { recursive: true, force: true });
    }
  }

  /** Renames a damaged checkpoint to `step-<n>.damaged` (kept for inspection, no longer listed). */
  setAside(step: number): string {
    const to = `${this.pathOf(step)}.damaged`;
    rmSync(to, { recursive: true, force: true });
    renameSync(this.pathOf(step), to);
    return to;
  }

  /** Drops checkpoints after `step` (a resumed run replaces them) . */
  dropAfter(step: number): void {
    for (const s of this.steps()) if (s > step) rmSync(this.pathOf(s), { recursive: true, force: true });
  }
}

/**
 * Finds a checkpoint folder from what a user may pass: a checkpoint folder itself, a run folder or its
 * `checkpoints/` (the best if one is marked, else the latest).
 */
export function resolveCheckpoint(path: string): string {
  if (existsSync(join(path, 'trainer.json'))) return path;
  const outDir = existsSync(join(path, 'checkpoints')) ? path : join(path, '..');
  const store = new CheckpointStore(outDir);
  const best = store.best();
  if (best && existsSync(join(store.pathOf(best.step), 'trainer.json'))) return store.pathOf(best.step);
  const latest = store.latest();
  if (!latest) throw new InputError('no checkpoint found (expected a checkpoint folder or a run folder with checkpoints/)', { file: path });
  return latest;
}
