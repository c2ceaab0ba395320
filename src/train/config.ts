import { readFileSync } from 'node:fs';
import { extname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Fields, type JsonValue } from '../util/fields.ts';
import { InputError } from '../util/errors.ts';
import { ADAMW_DEFAULTS } from './adamw.ts';
import { SCHEDULE_KINDS, type ScheduleKind } from './schedule.ts';

/**
 * A training run's config (JSON or YAML), its defaults (all here), and validation with messages that
 * name the file, the field and what was expected. The `encoder`, `data` and each method's `config` are
 * kept as JSON here and read by their owners (the encoder registry, the data kinds, the method
 * definitions) with the same kind of messages, before training starts.
 *
 *   seed: 1
 *   encoder: {kind: audio-transformer, preset: tiny}
 *   methods:
 *     - {name: hubert, weight: 1, config: {maskProb: 0.8}}
 *     - {name: cpc, key: cpc, weight: 0.5, layer: 4}
 *     - {name: temporal-gap, key: gap, weight: 1, weightEnd: 0}      # fades out linearly over training
 *   data: {kind: features, train: {features: feats/train, labels: [km/train.km]}, batchSize: 8}
 *   optim: {lr: 5e-4, weightDecay: 0.01}
 *   schedule: {kind: linear, warmupSteps: 100}
 *   train: {maxSteps: 2000, updateFreq: 1, clipNorm: 10, logEvery: 10, validEvery: 200, checkpointEvery: 500}
 */
export interface MethodEntry {
  /** Registry name. */
  name: string;
  /** Unique key within the run (defaults to the name): prefixes its parameters and its logged metrics. */
  key: string;
  weight: number;
  /** Loss weight at the end of training: the weight moves linearly from `weight` (update 0) to this
   * (update maxSteps, the end of training); absent, it stays `weight`. An auxiliary loss that fades out
   * (weightEnd 0) or in. Logged as `<key>/weight` when set. */
  weightEnd?: number;
  /** Read this context layer (hidden[layer]) instead of the encoder output. */
  layer?: number;
  /** The method's own config, read by its definition. */
  config: JsonValue;
}

export interface OptimConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** `default`: no decay on biases, norm gains and other 1-D parameters; `none`: decay everything. */
  noDecay: 'default' | 'none';
  /**
   * Learning-rate factors by parameter-name prefix (`{byol.predictor.: 10}`): a trainable parameter whose
   * name starts with a prefix takes lr x factor (the longest matching prefix wins), on the same schedule;
   * the others take lr. Every prefix must name at least one trainable parameter.
   */
  lrScale: Record<string, number>;
}

export interface ScheduleSection {
  kind: ScheduleKind;
  warmupSteps: number;
  finalLrScale: number;
}

export interface TrainSection {
  maxSteps: number;
  /** Micro-batches per optimiser update (fairseq's update_freq); gradients are averaged over them. */
  updateFreq: number;
  /** Clip the global gradient norm to this (0: no clipping). */
  clipNorm: number;
  logEvery: number;
  /** Validate every N updates (0: never; also at the end when a validation set exists). */
  validEvery: number;
  /** Checkpoint every N updates (0: only at the end). */
  checkpointEvery: number;
  /** Checkpoints to keep besides the best. */
  keepLast: number;
  /** The metric that picks the best checkpoint (`valid/loss`, `valid/hubert/acc_masked`...). */
  bestMetric: string;
  bestMode: 'min' | 'max';
}

export interface RunConfig {
  seed: number;
  /**
   * Folder that relative paths (data, teacher checkpoints) resolve against. Absent in hand-written
   * configs (the config file's folder is used); set in the `config.json` a run writes, so that a resume
   * from that copy finds the same files.
   */
  baseDir?: string;
  encoder: Record<string, JsonValue>;
  methods: MethodEntry[];
  data: Record<string, JsonValue>;
  optim: OptimConfig;
  schedule: ScheduleSection;
  train: TrainSection;
}

export const OPTIM_DEFAULTS: OptimConfig = { ...ADAMW_DEFAULTS, lr: 5e-4, noDecay: 'default', lrScale: {} };
export const SCHEDULE_SECTION_DEFAULTS: ScheduleSection = { kind: 'linear', warmupSteps: 0, finalLrScale: 0 };
export const TRAIN_DEFAULTS: TrainSection = {
  maxSteps: 1000,
  updateFreq: 1,
  clipNorm: 0,
  logEvery: 10,
  validEvery: 0,
  checkpointEvery: 0,
  keepLast: 2,
  bestMetric: 'valid/loss',
  bestMode: 'min',
};
export const SEED_DEFAULT = 1;

/** Reads a JSON (`.json`) or YAML (anything else) file into plain data; errors name the file. */
export function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read config: ${(e as Error).message}`, { file });
  }
  try {
    return extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new InputError(`not valid ${extname(file).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`, { file });
  }
}

/**
 * Fields that hold file paths (the last part of an override's path, or the one before a list index:
 * `data.path`, `data.train.features`, `data.train.labels`, `methods.0.config.teacher`...). In a config file
 * a relative path resolves against the file's folder; given on the command line it resolves against the
 * working directory, as a shell user expects.
 */
export const PATH_FIELDS: ReadonlySet<string> = new Set(['path', 'features', 'manifest', 'labels', 'teacher', 'centroids']);

function resolvePathValue(value: unknown, cwd: string): unknown {
  if (typeof value === 'string') return value === '' || isAbsolute(value) ? value : resolve(cwd, value);
  if (Array.isArray(value)) return value.map((v) => resolvePathValue(v, cwd));
  return value;
}

/**
 * Applies `path=value` overrides (`train.maxSteps=50`, `methods.0.weight=0.5`); the value is parsed as
 * YAML (numbers, booleans, lists), so `optim.lr=1e-4` is a number. With `cwd` (the command line's
 * overrides), relative values of PATH_FIELDS are made absolute against it. Returns a new object.
 */
export function applyOverrides(raw: unknown, overrides: string[], opts: { cwd?: string } = {}): unknown {
  const root = structuredClone(raw ?? {}) as Record<string, unknown>;
  for (const o of overrides) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw new InputError(`expected path=value, got "${o}"`, { field: '--set' });
    const path = o.slice(0, eq).split('.');
    let value: unknown = parseYaml(o.slice(eq + 1));
    const key = /^\d+$/.test(path[path.length - 1]) && path.length > 1 ? path[path.length - 2] : path[path.length - 1];
    if (opts.cwd !== undefined && PATH_FIELDS.has(key)) value = resolvePathValue(value, opts.cwd);
    let node: Record<string, unknown> = root;
    for (let i = 0; i < path.length - 1; i++) {
      const next = node[path[i]];
      if (next === undefined) node[path[i]] = {};
      else if (typeof next !== 'object' || next === null) throw new InputError(`"${path.slice(0, i + 1).join('.')}" is not an object`, { field: `--set ${o}` });
      node = node[path[i]] as Record<string, unknown>;
    }
    node[path[path.length - 1]] = value;
  }
  return root;
}

function readLrScale(o: Fields): Record<string, number> {
  const f = o.object('lrScale');
  const out: Record<string, number> = {};
  for (const prefix of Object.keys((o.raw('lrScale') ?? {}) as object)) {
    if (prefix === '') f.fail(prefix, 'a prefix may not be empty (set optim.lr instead)');
    out[prefix] = f.number(prefix, 1, { min: 0 });
  }
  return out;
}

/** Validates a whole run config (the generic parts; see the header) and fills in defaults. */
export function readRunConfig(raw: unknown, file?: string): RunConfig {
  const f = new Fields(raw, '', file);
  const seed = f.int('seed', SEED_DEFAULT, { min: 0 });
  const baseDir = f.optionalString('baseDir');
  const encoder = f.object('encoder');
  if (!encoder.has('kind')) encoder.fail('kind', 'required: the encoder architecture (see the encoder registry)');
  const encoderRaw = f.raw('encoder') as Record<string, JsonValue>;

  const list = f.list('methods');
  if (list.length === 0) f.fail('methods', 'expected a non-empty list of {name, weight?, weightEnd?, key?, layer?, config?}');
  const methods = list.map((m, i) => readMethodEntry(new Fields(m, `methods[${i}]`, file)));
  const keys = new Set<string>();
  methods.forEach((m, i) => {
    if (keys.has(m.key)) throw new InputError(`key "${m.key}" is used twice; give each method a distinct "key"`, { file, field: `methods[${i}].key` });
    keys.add(m.key);
  });

  const data = f.object('data');
  const dataRaw = (f.raw('data') ?? {}) as Record<string, JsonValue>;
  // Sequence data (features, waveform: the default kind) needs `train`; other kinds check their own fields (image data: `path`).
  const sequenceKind = dataRaw.kind === undefined || dataRaw.kind === 'features' || dataRaw.kind === 'waveform';
  if (sequenceKind && !data.has('train')) data.fail('train', 'required: where the training data is');

  const o = f.object('optim');
  const od = OPTIM_DEFAULTS;
  const optim: OptimConfig = {
    lr: o.number('lr', od.lr, { min: 0 }),
    beta1: o.number('beta1', od.beta1, { min: 0, max: 0.999999 }),
    beta2: o.number('beta2', od.beta2, { min: 0, max: 0.999999999 }),
    eps: o.number('eps', od.eps, { min: 0 }),
    weightDecay: o.number('weightDecay', od.weightDecay, { min: 0 }),
    noDecay: o.choice('noDecay', ['default', 'none'] as const, od.noDecay),
    lrScale: readLrScale(o),
  };
  o.done();

  const s = f.object('schedule');
  const sd = SCHEDULE_SECTION_DEFAULTS;
  const schedule: ScheduleSection = {
    kind: s.choice('kind', SCHEDULE_KINDS, sd.kind),
    warmupSteps: s.int('warmupSteps', sd.warmupSteps, { min: 0 }),
    finalLrScale: s.number('finalLrScale', sd.finalLrScale, { min: 0, max: 1 }),
  };
  s.done();

  const t = f.object('train');
  const td = TRAIN_DEFAULTS;
  const train: TrainSection = {
    maxSteps: t.int('maxSteps', td.maxSteps, { min: 1 }),
    updateFreq: t.int('updateFreq', td.updateFreq, { min: 1 }),
    clipNorm: t.number('clipNorm', td.clipNorm, { min: 0 }),
    logEvery: t.int('logEvery', td.logEvery, { min: 1 }),
    validEvery: t.int('validEvery', td.validEvery, { min: 0 }),
    checkpointEvery: t.int('checkpointEvery', td.checkpointEvery, { min: 0 }),
    keepLast: t.int('keepLast', td.keepLast, { min: 1 }),
    bestMetric: t.string('bestMetric', td.bestMetric),
    bestMode: t.choice('bestMode', ['min', 'max'] as const, td.bestMode),
  };
  t.done();
  if (schedule.kind !== 'constant' && schedule.warmupSteps > train.maxSteps) {
    s.fail('warmupSteps', `${schedule.warmupSteps} exceeds train.maxSteps ${train.maxSteps}`);
  }
  f.done();
  return { seed, ...(baseDir !== undefined ? { baseDir } : {}), encoder: encoderRaw, methods, data: dataRaw, optim, schedule, train };
}

function readMethodEntry(f: Fields): MethodEntry {
  const name = f.string('name', '');
  if (!name) f.fail('name', 'required: the method name (see the method registry)');
  const key = f.string('key', name);
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(key)) f.fail('key', `expected letters, digits, "_" or "-" starting with a letter, got "${key}"`);
  const weight = f.number('weight', 1, { min: 0 });
  const weightEnd = f.optionalNumber('weightEnd', { min: 0 });
  const layer = f.optionalNumber('layer', { integer: true, min: 0 });
  const config = f.json('config') ?? {};
  if (typeof config !== 'object' || Array.isArray(config) || config === null) f.fail('config', 'expected an object');
  f.done();
  return { name, key, weight, ...(weightEnd !== undefined ? { weightEnd } : {}), layer, config };
}
