import { initEncoderConfig, initEncoderFrom, type InitFromResult } from './init-from.ts';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Encoder } from '../models/encoder.ts';
import { buildData, type DataInfo } from '../data/registry.ts';
import type { WaveformLoader } from '../data/waveform.ts';
import { METHODS, type MethodRegistry } from '../methods/registry.ts';
import { Fields, type JsonValue } from '../util/fields.ts';
import { InputError, errorMessage } from '../util/errors.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { Rng } from '../util/rng.ts';
import { mixSeed } from '../util/seed.ts';
import { readRunConfig, type RunConfig } from './config.ts';
import type { RunMethod } from './losses.ts';
import { loadCheckpoint, type CheckpointContents, type ModelJson } from '../checkpoint/checkpoint.ts';
import { Trainer, type TrainerHooks } from './trainer.ts';

/**
 * Builds a run from a config: data, encoder, methods, Trainer. The encoder factory is passed in (the CLI
 * gives the model registry's), as are the method registry and the audio loader, so tests and other
 * front ends assemble runs from their own parts.
 */
export type EncoderBuilder = (config: Record<string, JsonValue>, ctx: { data: DataInfo; seed: number }) => Encoder | Promise<Encoder>;

export interface RunDeps {
  buildEncoder: EncoderBuilder;
  methods?: MethodRegistry;
  waveformLoader?: WaveformLoader;
}

export interface RunOptions {
  /** The config file (named in error messages). */
  file?: string;
  /** Relative paths in the config resolve here (the config file's folder). */
  baseDir: string;
  outDir: string;
  deps: RunDeps;
  progress?: boolean;
  hooks?: TrainerHooks;
  /** Start the encoder from this run folder or checkpoint (`train --init-from`); see init-from.ts. */
  initFrom?: string;
}

export interface BuiltRun {
  config: RunConfig;
  trainer: Trainer;
  /** Where the encoder's starting weights came from, with --init-from. */
  initialisedFrom?: InitFromResult;
  dispose(): void;
}

export async function buildRun(raw: unknown, opts: RunOptions): Promise<BuiltRun> {
  // A run initialised from another may leave its encoder out: it is that run's.
  if (opts.initFrom && typeof raw === 'object' && raw !== null && !Array.isArray(raw) && (raw as Record<string, unknown>).encoder === undefined) {
    raw = { ...(raw as Record<string, unknown>), encoder: initEncoderConfig(opts.initFrom) };
  }
  const config = readRunConfig(raw, opts.file);
  const baseDir = config.baseDir !== undefined ? resolve(opts.baseDir, config.baseDir) : resolve(opts.baseDir);
  config.baseDir = baseDir;
  const registry = opts.deps.methods ?? METHODS;
  // Read every method config before anything heavy is built, so config errors come first.
  const resolved = config.methods.map((entry, i) => {
    const def = registry[entry.name];
    if (!def) {
      throw new InputError(`unknown method "${entry.name}" (known: ${Object.keys(registry).sort().join(', ') || 'none registered'})`, { file: opts.file, field: `methods[${i}].name` });
    }
    const f = new Fields(entry.config, `methods[${i}].config`, opts.file);
    const cfg = def.readConfig(f);
    return { entry: { ...entry, config: cfg as JsonValue }, def, cfg };
  });
  config.methods = resolved.map((r) => r.entry);
  const data = buildData(new Fields(config.data, 'data', opts.file), { seed: config.seed, baseDir, waveformLoader: opts.deps.waveformLoader });
  const encoder = await opts.deps.buildEncoder(config.encoder, { data: data.info, seed: config.seed });
  const methods: RunMethod[] = [];
  let initialised: InitFromResult | undefined;
  try {
    if (opts.initFrom) initialised = initEncoderFrom(encoder, opts.initFrom);
    checkEncoderInput(encoder, data.info, opts.file);
    for (const [i, r] of resolved.entries()) {
      const method = await r.def.create(r.cfg, {
        key: r.entry.key,
        encoder,
        data: data.info,
        layer: r.entry.layer,
        rng: new Rng(mixSeed(config.seed, 5, i)),
        baseDir,
      });
      methods.push({ key: r.entry.key, weight: r.entry.weight, weightEnd: r.entry.weightEnd, layer: r.entry.layer, method });
    }
    for (const m of methods) {
      if (m.layer !== undefined && m.layer > encoder.numLayers) {
        throw new InputError(`layer ${m.layer} requested, the encoder has ${encoder.numLayers} layers`, { file: opts.file, field: `methods[${methods.indexOf(m)}].layer` });
      }
    }
  } catch (e) {
    for (const m of methods) m.method.dispose();
    encoder.dispose();
    throw e;
  }
  const trainer = new Trainer({ config, encoder, methods, data, outDir: opts.outDir, progress: opts.progress, hooks: opts.hooks });
  return {
    config,
    trainer,
    ...(initialised ? { initialisedFrom: initialised } : {}),
    dispose() {
      trainer.dispose();
      for (const m of methods) m.method.dispose();
      encoder.dispose();
    },
  };
}

/**
 * The encoder must read what the data gives: a waveform frontend waveforms, a feature frontend frames of
 * `inputDim` values. Checked before anything is trained or written (a mismatch used to surface as a stack
 * trace from the first forward, after config.json was written).
 */
function checkEncoderInput(encoder: Encoder, info: DataInfo, file: string | undefined): void {
  const c = encoder.config as { inputDim?: unknown; frontend?: unknown };
  if (info.image || typeof c.inputDim !== 'number') return;
  const readsWaveform = c.frontend === 'waveform';
  if (readsWaveform !== info.isWaveform) {
    throw new InputError(`the encoder's frontend "${String(c.frontend)}" reads ${readsWaveform ? 'waveforms' : 'feature frames'}, but data.kind "${info.kind}" gives ${info.isWaveform ? 'waveforms' : 'feature frames'}`, { file, field: 'encoder.frontend' });
  }
  if (!readsWaveform && c.inputDim !== info.inputDims) {
    throw new InputError(`${c.inputDim} values per frame expected, but the training features have ${info.inputDims} dims (set encoder.inputDim: ${info.inputDims})`, { file, field: 'encoder.inputDim' });
  }
}

/** Writes the resolved config beside the checkpoints (a resume without --config reads it). */
export function writeRunConfig(outDir: string, config: RunConfig): void {
  writeFileAtomic(join(outDir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
}

/**
 * Resumes a built run from the newest intact checkpoint under its out folder, after checking that the
 * checkpoint's encoder and methods are the ones the config builds. A newer checkpoint that fails to load
 * (a damaged file, a checksum mismatch) is set aside as `step-<n>.damaged` and the next older one is
 * tried; `onSkip` hears about each (the CLI prints it). Returns the folder, or undefined when there is no
 * checkpoint yet (the run starts from scratch).
 */
export function resumeLatest(run: BuiltRun, onSkip?: (dir: string, problem: string) => void): string | undefined {
  const store = run.trainer.store;
  const steps = store.steps();
  for (let i = steps.length - 1; i >= 0; i--) {
    const dir = store.pathOf(steps[i]);
    let contents: CheckpointContents;
    try {
      contents = loadCheckpoint(dir);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      const problem = errorMessage(e);
      if (i === 0) throw new InputError(`no intact checkpoint to resume from; the oldest fails to load: ${problem}`, { file: store.dir });
      store.setAside(steps[i]);
      onSkip?.(dir, problem);
      continue;
    }
    checkSameModel(run, dir, contents.model);
    run.trainer.resumeFrom(dir, contents);
    return dir;
  }
  return undefined;
}

function checkSameModel(run: BuiltRun, latest: string, saved: ModelJson): void {
  const now = run.trainer.modelDescription();
  if (JSON.stringify(saved.encoder) !== JSON.stringify(now.encoder)) {
    throw new InputError(`the checkpoint's encoder (${JSON.stringify(saved.encoder)}) differs from the config's (${JSON.stringify(now.encoder)})`, { file: latest, field: 'encoder' });
  }
  saved.methods.forEach((m, i) => {
    if (JSON.stringify(m) !== JSON.stringify(now.methods[i])) {
      throw new InputError(`the checkpoint's method ${JSON.stringify(m)} differs from the config's ${JSON.stringify(now.methods[i] ?? null)}`, { file: latest, field: `methods[${i}]` });
    }
  });
  if (now.methods.length !== saved.methods.length) throw new InputError(`the checkpoint has ${saved.methods.length} methods, the config ${now.methods.length}`, { file: latest, field: 'methods' });
}

export function hasCheckpoint(outDir: string): boolean {
  return existsSync(join(outDir, 'checkpoints'));
}
