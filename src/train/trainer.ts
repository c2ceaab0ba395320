import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Encoder } from '../models/encoder.ts';
import type { BuiltData } from '../data/registry.ts';
import type { StepInfo } from '../methods/method.ts';
import type { JsonValue } from '../util/fields.ts';
import { Progress } from '../util/progress.ts';
import { AdamW, defaultNoDecay, lrScaleByPrefix } from './adamw.ts';
import { LrSchedule } from './schedule.ts';
import type { RunConfig } from './config.ts';
import { weightedLosses, readScalars, type RunMethod } from './losses.ts';
import { collectRunTensors, restore, snapshot, type RunTensors } from './parameters.ts';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, CheckpointStore, loadCheckpoint, type CheckpointContents, type CheckpointFileHook, type ModelJson, type OptimizerSlot, type TrainerJson } from '../checkpoint/checkpoint.ts';
import { MetricsLog, type MetricsRow } from './metrics-log.ts';

/**
 * The one Trainer: AdamW with a warmup/decay schedule, gradient accumulation (`updateFreq`), global-norm
 * clipping, validation, JSON-lines metrics, a progress bar, atomic checkpoints (last N and best) and exact
 * resume. Methods and the encoder come in built; the Trainer never looks inside them.
 *
 * Exactness: every random draw inside a step comes from generators seeded by (seed, step, micro-batch,
 * method), the data order is checkpointed, and the learning rate is a function of the step, so a run
 * resumed from the checkpoint of step k makes the same updates as one that never stopped.
 */
export interface TrainerHooks {
  /** After each file of a checkpoint is written, before the folder is renamed into place. */
  afterCheckpointFile?: CheckpointFileHook;
  /** Each metrics row as it is logged. */
  onLog?: (row: MetricsRow) => void;
  /** After each optimiser update (with the number of updates done). */
  afterUpdate?: (step: number) => void;
}

export interface TrainerSetup {
  /** The validated run config (method configs as their definitions read them). */
  config: RunConfig;
  encoder: Encoder;
  methods: RunMethod[];
  data: BuiltData;
  outDir: string;
  /** Show the progress bar (on a terminal). */
  progress?: boolean;
  hooks?: TrainerHooks;
}

export interface TrainSummary {
  startStep: number;
  step: number;
  lastTrainRow?: MetricsRow;
  best: TrainerJson['best'];
  checkpoint?: string;
  /** Items that failed to load (skipped). */
  failures: string[];
  seconds: number;
}

/** A non-finite loss or gradient norm: the run stops without writing a checkpoint. */
export class NonFiniteLossError extends Error {
  constructor(readonly step: number, readonly metric: string, readonly value: number, lastCheckpoint: string | undefined) {
    super(`non-finite ${metric} (${value}) at step ${step}; stopped without updating. Last good checkpoint: ${lastCheckpoint ?? 'none'}`);
    this.name = 'NonFiniteLossError';
  }
}

export class Trainer {
  readonly tensors: RunTensors;
  readonly optimizer: AdamW;
  readonly schedule: LrSchedule;
  readonly store: CheckpointStore;
  private readonly log: MetricsLog;
  private readonly varList: tf.Variable[];
  private readonly nameOfVar = new Map<string, string>();
  /** Optimiser updates done. */
  step = 0;
  private best: TrainerJson['best'] = null;
  private elapsedBefore = 0;

  constructor(private readonly setup: TrainerSetup) {
    const { config, encoder, methods } = setup;
    this.tensors = collectRunTensors(encoder, methods);
    if (this.tensors.trainable.size === 0) throw new Error('nothing to train: the encoder and methods have no trainable parameters');
    const shapes = new Map([...this.tensors.trainable].map(([n, v]) => [n, v.shape]));
    this.optimizer = new AdamW({
      lr: config.optim.lr,
      beta1: config.optim.beta1,
      beta2: config.optim.beta2,
      eps: config.optim.eps,
      weightDecay: config.optim.weightDecay,
      noDecay: config.optim.noDecay === 'none' ? () => false : (n) => defaultNoDecay(n, shapes.get(n)),
      lrScale: lrScaleByPrefix(config.optim.lrScale, [...shapes.keys()]),
    });
    this.schedule = new LrSchedule({ ...config.schedule, peakLr: config.optim.lr, totalSteps: config.train.maxSteps });
    this.varList = [...this.tensors.trainable.values()];
    for (const [n, v] of this.tensors.trainable) this.nameOfVar.set(v.name, n);
    mkdirSync(setup.outDir, { recursive: true });
    this.store = new CheckpointStore(setup.outDir);
    this.log = new MetricsLog(join(setup.outDir, 'metrics.jsonl'));
  }

  private info(step: number): StepInfo {
    const total = this.setup.config.train.maxSteps;
    return { step, totalSteps: total, progress: Math.min(1, step / total) };
  }

  private setTraining(on: boolean): void {
    this.setup.encoder.train(on);
    for (const m of this.setup.methods) m.method.train(on);
  }

  /**
   * One optimiser update: `updateFreq` micro-batches, averaged gradients, finiteness check, clipping,
   * AdamW. Returns the values read (mean over micro-batches) with `grad_norm` and `lr`.
   */
  async update(): Promise<Map<string, number>> {
    const { config, encoder, methods, data } = this.setup;
    const { updateFreq, clipNorm } = config.train;
    const info = this.info(this.step);
    const lr = this.schedule.lrAt(this.step);
    this.optimizer.lr = lr;
    for (const m of methods) m.method.beforeStep?.(info);
    this.setTraining(true);
    let acc: Map<string, tf.Tensor> | undefined;
    const values = new Map<string, tf.Scalar | number>();
    try {
      for (let micro = 0; micro < updateFreq; micro++) {
        const batch = await data.train.next();
        let kept: tf.Scalar | undefined;
        const { value, grads } = tf.variableGrads(() => {
          const { total, named } = weightedLosses(batch, encoder, methods, { ...info, seed: config.seed, micro, training: true });
          kept = tf.keep(total);
          values.set(`${micro}|loss`, kept);
          for (const [k, v] of named) values.set(`${micro}|${k}`, typeof v === 'number' ? v : tf.keep(v));
          return updateFreq > 1 ? tf.div(total, updateFreq) : total;
        }, this.varList);
        if (value !== kept) value.dispose();
        const next = new Map<string, tf.Tensor>();
        for (const [varName, g] of Object.entries(grads)) {
          const name = this.nameOfVar.get(varName)!;
          const prev = acc?.get(name);
          if (prev) {
            next.set(name, tf.add(prev, g));
            prev.dispose();
            g.dispose();
          } else next.set(name, g);
        }
        if (acc) for (const [n, t] of acc) if (!next.has(n)) next.set(n, t);
        acc = next;
      }
      const gradients = acc!;
      values.set('grad_norm', tf.tidy(() => tf.sqrt(tf.addN([...gradients.values()].map((g) => tf.sum(tf.square(g))))) as tf.Scalar));
      const read = readScalars(values);
      const mean = new Map<string, number>();
      for (const [k, v] of read) {
        const bar = k.indexOf('|');
        const key = bar >= 0 ? k.slice(bar + 1) : k;
        mean.set(key, (mean.get(key) ?? 0) + (bar >= 0 ? v / updateFreq : v));
      }
      // The methods' own losses first (they say where it went wrong), then the total and the gradient norm.
      const checked = [...[...mean.keys()].filter((k) => k.endsWith('/loss')), 'loss', 'grad_norm'];
      for (const k of checked) {
        const v = mean.get(k)!;
        if (!Number.isFinite(v)) throw new NonFiniteLossError(this.step + 1, k, v, this.store.latest());
      }
      const norm = mean.get('grad_norm')!;
      const coef = clipNorm > 0 ? Math.min(1, clipNorm / (norm + 1e-6)) : 1;
      if (coef < 1) {
        for (const [n, g] of gradients) {
          gradients.set(n, tf.mul(g, coef));
          g.dispose();
        }
      }
      this.optimizer.step(this.tensors.trainable, gradients);
      for (const m of methods) m.method.afterStep?.(info);
      this.step += 1;
      mean.set('lr', lr);
      return mean;
    } finally {
      for (const v of values.values()) if (typeof v !== 'number' && !v.isDisposed) v.dispose();
      if (acc) for (const g of acc.values()) if (!g.isDisposed) g.dispose();
    }
  }

  /** Mean of every method's loss and metrics over the validation set (per batch), keys prefixed `valid/`. */
  async validate(): Promise<Map<string, number>> {
    const { config, encoder, methods, data } = this.setup;
    if (!data.valid) return new Map();
    this.setTraining(false);
    const sums = new Map<string, number>();
    let batches = 0;
    try {
      for await (const batch of data.valid.batches()) {
        const values = new Map<string, tf.Scalar | number>();
        tf.tidy(() => {
          const { total, named } = weightedLosses(batch, encoder, methods, { ...this.info(this.step), seed: config.seed, micro: batches, training: false });
          values.set('loss', tf.keep(total));
          for (const [k, v] of named) values.set(k, typeof v === 'number' ? v : tf.keep(v));
        });
        for (const [k, v] of readScalars(values)) sums.set(k, (sums.get(k) ?? 0) + v);
        batches += 1;
      }
    } finally {
      this.setTraining(true);
    }
    return new Map([...sums].map(([k, v]) => [`valid/${k}`, v / Math.max(1, batches)]));
  }

  /** Runs until `train.maxSteps` updates are done; returns what happened. */
  async run(): Promise<TrainSummary> {
    const { config, data, hooks } = this.setup;
    const t = config.train;
    const startStep = this.step;
    const started = Date.now();
    const progress = this.setup.progress ? new Progress({ label: 'train', total: t.maxSteps - startStep }) : undefined;
    const sums = new Map<string, number>();
    let counted = 0;
    let intervalStart = Date.now();
    let lastTrainRow: MetricsRow | undefined;
    const startTensors = tf.memory().numTensors;
    while (this.step < t.maxSteps) {
      const values = await this.update();
      for (const [k, v] of values) sums.set(k, (sums.get(k) ?? 0) + v);
      counted += 1;
      const step = this.step;
      if (step % t.logEvery === 0 || step === t.maxSteps) {
        const seconds = (Date.now() - intervalStart) / 1000;
        const row: MetricsRow = { step, split: 'train', epoch: data.train.epoch };
        for (const [k, v] of sums) row[k] = k === 'lr' ? values.get('lr')! : v / counted;
        row.steps_per_s = counted / Math.max(seconds, 1e-9);
        row.tensors = tf.memory().numTensors - startTensors;
        this.writeRow(row);
        lastTrainRow = row;
        progress?.update(step - startStep, { loss: row.loss as number, lr: values.get('lr')!, 'steps/s': row.steps_per_s as number });
        sums.clear();
        counted = 0;
        intervalStart = Date.now();
      }
      let isBest = false;
      if (data.valid && ((t.validEvery > 0 && step % t.validEvery === 0) || step === t.maxSteps)) isBest = await this.validateAndLog(step);
      const due = (t.checkpointEvery > 0 && step % t.checkpointEvery === 0) || step === t.maxSteps;
      if (due || isBest) this.saveCheckpoint(isBest);
      hooks?.afterUpdate?.(step);
    }
    this.elapsedBefore += (Date.now() - started) / 1000;
    progress?.finish(`${this.step - startStep} updates, last loss ${lastTrainRow ? String(lastTrainRow.loss) : '-'}`);
    return {
      startStep,
      step: this.step,
      lastTrainRow,
      best: this.best,
      checkpoint: this.store.latest(),
      failures: data.failures(),
      seconds: (Date.now() - started) / 1000,
    };
  }

  private async validateAndLog(step: number): Promise<boolean> {
    const v = await this.validate();
    const row: MetricsRow = { step, split: 'valid' };
    for (const [k, x] of v) row[k] = x;
    this.writeRow(row);
    const { bestMetric, bestMode } = this.setup.config.train;
    const value = v.get(bestMetric);
    if (value === undefined) {
      if (!this.warnedMetric) process.emitWarning(`train.bestMetric "${bestMetric}" is not among the validation values (${[...v.keys()].join(', ')}); no best checkpoint is marked`);
      this.warnedMetric = true;
      return false;
    }
    const better = this.best === null || (bestMode === 'min' ? value < this.best.value : value > this.best.value);
    if (better && Number.isFinite(value)) this.best = { metric: bestMetric, value, step };
    return better && Number.isFinite(value);
  }

  private warnedMetric = false;

  private writeRow(row: MetricsRow): void {
    this.log.write(row);
    this.setup.hooks?.onLog?.(row);
  }

  /** model.json of this run (architecture, methods, tensor names and shapes). */
  modelDescription(): ModelJson {
    const { config, encoder } = this.setup;
    const tensors: ModelJson['tensors'] = {};
    for (const [n, role] of this.tensors.roles) tensors[n] = { shape: [...(this.tensors.trainable.get(n) ?? this.tensors.buffers.get(n))!.shape], role };
    return {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      step: this.step,
      encoder: { kind: encoder.kind, ...(encoder.config as Record<string, JsonValue>) },
      methods: config.methods.map((m) => ({ name: m.name, key: m.key, weight: m.weight, ...(m.weightEnd !== undefined ? { weightEnd: m.weightEnd } : {}), ...(m.layer !== undefined ? { layer: m.layer } : {}), config: m.config })),
      tensors,
    };
  }

  /** Everything a checkpoint holds, read from the live run. */
  checkpointContents(): CheckpointContents {
    const { config, methods, data } = this.setup;
    const weights = snapshot(new Map([...this.tensors.trainable, ...this.tensors.buffers]));
    const slots = new Map<string, OptimizerSlot>();
    const state = this.optimizer.exportState();
    for (const [n, s] of state) {
      slots.set(n, { step: s.step, expAvg: { shape: [...s.expAvg.shape], data: Float32Array.from(s.expAvg.dataSync() as Float32Array) }, expAvgSq: { shape: [...s.expAvgSq.shape], data: Float32Array.from(s.expAvgSq.dataSync() as Float32Array) } });
      s.expAvg.dispose();
      s.expAvgSq.dispose();
    }
    const methodStates: Record<string, JsonValue> = {};
    for (const m of methods) if (m.method.getState) methodStates[m.key] = m.method.getState();
    const o = this.optimizer.options;
    return {
      model: this.modelDescription(),
      weights,
      optimizer: { hyper: { beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay }, slots },
      trainer: {
        step: this.step,
        seed: config.seed,
        epoch: data.train.epoch,
        data: data.train.getState(),
        methods: methodStates,
        best: this.best,
        elapsed: this.elapsedBefore,
        config: config as unknown as JsonValue,
      },
    };
  }

  saveCheckpoint(isBest = false): string {
    const path = this.store.save(this.checkpointContents(), this.setup.config.train.keepLast, isBest, this.setup.hooks?.afterCheckpointFile);
    return path;
  }

  /** Continues from a checkpoint folder: weights, buffers, optimiser, data position, method states, best. */
  resumeFrom(dir: string, loaded?: CheckpointContents): void {
    const c = loaded ?? loadCheckpoint(dir);
    if (c.trainer.seed !== this.setup.config.seed) throw new Error(`${dir}: the checkpoint was trained with seed ${c.trainer.seed}, the config says ${this.setup.config.seed}`);
    restore(this.tensors.trainable, c.weights, dir);
    restore(this.tensors.buffers, c.weights, dir);
    const state = new Map(
      [...c.optimizer.slots].map(([n, s]) => {
        if (!this.tensors.trainable.has(n)) throw new Error(`${dir}: optimizer state for "${n}", which is not a trainable parameter of this run`);
        return [n, { step: s.step, expAvg: tf.tensor(s.expAvg.data, s.expAvg.shape), expAvgSq: tf.tensor(s.expAvgSq.data, s.expAvgSq.shape) }] as const;
      }),
    );
    this.optimizer.importState(state);
    for (const s of state.values()) {
      s.expAvg.dispose();
      s.expAvgSq.dispose();
    }
    this.setup.data.train.setState(c.trainer.data);
    for (const m of this.setup.methods) {
      const s = c.trainer.methods[m.key];
      if (s !== undefined && m.method.setState) m.method.setState(s);
    }
    this.step = c.trainer.step;
    this.best = c.trainer.best;
    this.elapsedBefore = c.trainer.elapsed;
    this.log.truncateAfter(this.step);
    this.store.dropAfter(this.step);
    this.store.removeTemporaries();
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
