import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../nn/module.ts';
import { Linear } from '../nn/linear.ts';
import type { Encoder } from '../models/encoder.ts';
import type { Batch } from '../data/source.ts';
import type { Fields } from '../util/fields.ts';
import { InputError, errorMessage } from '../util/errors.ts';
import type { Rng } from '../util/rng.ts';
import type { LossContext, LossOutput, Method, MethodBuildContext, MethodDefinition } from './method.ts';
import { DISTILL_LOSS_DEFAULTS, distilHubertLoss } from './losses/distill.ts';
import { prefixed, registryEncoderFactory, type EncoderFactory } from './frozen-copy.ts';
import { loadTeacher } from './teacher.ts';
import { initStudentFromTeacher } from './student-init.ts';
import { poolFrames } from './embedding-pool.ts';
import { checkImageDistillShapes } from './distill-shapes.ts';

/**
 * Layer-wise distillation (DistilHuBERT, Chang et al. 2022): a frozen teacher (any trained checkpoint)
 * and the run's encoder as the student. One linear prediction head per chosen teacher layer reads the
 * student's representation (its output, or `layer` of the run) and predicts that teacher layer's hidden
 * states frame by frame; loss per layer (1/D)|h - y|_1 - lambda log sigmoid(cos(h, y)), summed. With
 * `teacherLayers` empty the teacher's last layer is the one target (plain last-layer distillation).
 * `initFromTeacher` copies teacher layers (and the frontend) into the student before training, as
 * DistilHuBERT starts from the teacher's first layers. The teacher's weights are buffers: checkpointed
 * with the student, never trained, no gradient reaches them; it runs in evaluation mode.
 *
 * Images (`data.kind: image`): the teacher is any trained image checkpoint (ResNet or ViT) and reads the
 * same standardised images as the student (`ctx.encoderInput()`); the student may be smaller (fewer
 * channels or blocks, fewer ViT layers). With `match: positions` (the default) every output token of the
 * student predicts the teacher's token at the same grid position, so the token grids must agree; with
 * `match: pooled` the student's mean token predicts the teacher layer's mean token, which any pair of
 * image encoders allows. A ResNet has one layer to distil (its output, layer 0); a ViT teacher's
 * layers 1..depth can each have a head (layer-wise, as DistilHuBERT). ./distill-shapes.ts checks the
 * shapes at build time and names the field to change.
 *
 * Logged per target layer l (teacher numbering): l1_l, cos_l (mean cosine), loss_l.
 */
export interface DistillConfig {
  /** Teacher checkpoint: a checkpoint folder, a run folder or its checkpoints/ (relative to the config). */
  teacher: string;
  /** Teacher layers to predict, 1-based (DistilHuBERT: [4, 8, 12]); empty: the teacher's last layer. */
  teacherLayers: number[];
  /** Teacher layer (1-based) to initialise each student layer from; empty: no initialisation. */
  initFromTeacher: number[];
  l1Weight: number;
  /** lambda of the -log sigmoid(cos) term (DistilHuBERT 1). */
  cosineWeight: number;
  /** `positions`: frame by frame / token by token (grids must agree); `pooled`: the mean over positions. */
  match: DistillMatch;
}

export const DISTILL_MATCHES = ['positions', 'pooled'] as const;
export type DistillMatch = (typeof DISTILL_MATCHES)[number];

export const DISTILL_DEFAULTS: Omit<DistillConfig, 'teacher'> = { teacherLayers: [], initFromTeacher: [], l1Weight: DISTILL_LOSS_DEFAULTS.l1Weight, cosineWeight: DISTILL_LOSS_DEFAULTS.cosineWeight, match: 'positions' };

export class DistillMethod extends Module implements Method {
  readonly name = 'distill';
  readonly accepts = ['sequence', 'image'] as const;
  readonly heads: Linear[];
  /** Teacher layers predicted, in head order. */
  readonly targets: number[];
  private readonly teacherBuffers: Map<string, tf.Variable>;

  /**
   * `dims`: the width of the student's representation and of each target teacher layer (the encoders'
   * output widths unless given: a ResNet's or a narrower layer's width is measured at build time).
   */
  constructor(private readonly key: string, readonly config: DistillConfig, student: Encoder, readonly teacher: Encoder, rng: Rng, dims?: { student: number; teacher: number[] }) {
    super();
    this.targets = distillTargets(config, teacher);
    if (dims && dims.teacher.length !== this.targets.length) throw new Error(`distill: ${dims.teacher.length} teacher widths for ${this.targets.length} target layers`);
    this.heads = this.targets.map((l, i) => this.child(`heads.${l}`, new Linear(dims?.student ?? student.outputDim, dims?.teacher[i] ?? teacher.outputDim, { rng: rng.fork() })));
    this.teacherBuffers = prefixed(`${key}.teacher.`, teacher.namedParameters());
  }

  parameters(): Map<string, tf.Variable> {
    return this.namedParameters(`${this.key}.`);
  }

  buffers(): Map<string, tf.Variable> {
    return this.teacherBuffers;
  }

  loss(_batch: Batch, ctx: LossContext): LossOutput {
    const rep = ctx.representation();
    const student = ctx.sharedForward();
    const input = ctx.encoderInput();
    const out = this.teacher.forward(input.x, { paddingMask: input.paddingMask, maxLayer: Math.max(...this.targets) });
    const targets = this.targets.map((l) => out.hidden[l]);
    const [B, T] = rep.shape;
    const weights = { l1Weight: this.config.l1Weight, cosineWeight: this.config.cosineWeight };
    let result: ReturnType<typeof distilHubertLoss>;
    if (this.config.match === 'pooled') {
      // One position per item: the mean of the (valid) positions of each side.
      const pool = (h: tf.Tensor3D, mask?: tf.Tensor2D) => tf.expandDims(poolFrames(h, 'mean', mask), 1) as tf.Tensor3D;
      const s = pool(rep, student.paddingMask);
      const predictions = this.heads.map((h) => h.forward(s));
      result = distilHubertLoss(predictions, targets.map((t) => pool(t, out.paddingMask)), weights);
    } else {
      for (const [i, t] of targets.entries()) {
        if (t.shape[1] !== T) throw new Error(`distill: the student gives ${T} positions, teacher layer ${this.targets[i]} ${t.shape[1]} (frame rates or token grids differ; set match: pooled)`);
      }
      const mask = student.paddingMask ? student.paddingMask.dataSync() : new Float32Array(B * T);
      const valid = Float32Array.from(mask, (m) => 1 - m);
      const predictions = this.heads.map((h) => h.forward(rep));
      result = distilHubertLoss(predictions, targets, weights, valid);
    }
    const { loss, metrics } = result;
    const named: Record<string, number> = {};
    this.targets.forEach((l, i) => {
      for (const k of ['l1', 'cos', 'loss']) named[`${k}_${l}`] = metrics[`${k}_${i}`];
    });
    return { loss, metrics: named };
  }

  override train(on = true): this {
    for (const h of this.heads) h.train(on);
    this.training = on;
    return this;
  }

  override dispose(): void {
    super.dispose();
    this.teacher.dispose();
  }
}

function readDistillConfig(f: Fields): DistillConfig {
  const d = DISTILL_DEFAULTS;
  const teacher = f.optionalString('teacher');
  if (teacher === undefined || teacher === '') f.fail('teacher', 'required: the teacher checkpoint (a checkpoint folder, a run folder or its checkpoints/)');
  const c: DistillConfig = {
    teacher,
    teacherLayers: f.numberList('teacherLayers', d.teacherLayers, { integer: true, min: 0 }),
    initFromTeacher: f.numberList('initFromTeacher', d.initFromTeacher, { integer: true, min: 1 }),
    l1Weight: f.number('l1Weight', d.l1Weight, { min: 0 }),
    cosineWeight: f.number('cosineWeight', d.cosineWeight, { min: 0 }),
    match: f.choice('match', DISTILL_MATCHES, d.match),
  };
  if (new Set(c.teacherLayers).size !== c.teacherLayers.length) f.fail('teacherLayers', `layers must differ, got [${c.teacherLayers}]`);
  f.done();
  return c;
}

/** Teacher layers the heads predict: the configured ones, else the teacher's last. */
export function distillTargets(config: DistillConfig, teacher: Encoder): number[] {
  return config.teacherLayers.length ? [...config.teacherLayers] : [teacher.numLayers];
}

function initStudent(config: DistillConfig, student: Encoder, teacher: Encoder, field: string): void {
  if (!config.initFromTeacher.length) return;
  try {
    initStudentFromTeacher(student, teacher, config.initFromTeacher);
  } catch (e) {
    throw new InputError(errorMessage(e), { field });
  }
}

/** The distillation definition with a given encoder factory (for the teacher); the registry's by default. */
export function createDistillDefinition(factory: EncoderFactory = registryEncoderFactory): MethodDefinition<DistillConfig> {
  return {
    readConfig: readDistillConfig,
    create(config: DistillConfig, ctx: MethodBuildContext): DistillMethod {
      const field = (name: string) => `${ctx.key}.config.${name}`;
      const { encoder: teacher, dir } = loadTeacher(config.teacher, ctx.baseDir, factory, field('teacher'));
      try {
        for (const l of config.teacherLayers) {
          if (l > teacher.numLayers) throw new InputError(`teacher layer ${l} asked, the teacher (${dir}) has layers 1..${teacher.numLayers}`, { field: field('teacherLayers') });
        }
        if (ctx.data.image) {
          const dims = checkImageDistillShapes(ctx.encoder, teacher, distillTargets(config, teacher), config.match, ctx.data.image, ctx.layer, { key: ctx.key, teacherDir: dir });
          initStudent(config, ctx.encoder, teacher, field('initFromTeacher'));
          return new DistillMethod(ctx.key, config, ctx.encoder, teacher, ctx.rng, dims);
        }
        const probe = 4096;
        if (config.match === 'positions' && teacher.outputLength(probe) !== ctx.encoder.outputLength(probe)) {
          throw new InputError(`the teacher (${dir}) gives ${teacher.outputLength(probe)} frames for ${probe} input frames, the student ${ctx.encoder.outputLength(probe)}; their frame rates must match`, { field: field('teacher') });
        }
        initStudent(config, ctx.encoder, teacher, field('initFromTeacher'));
        return new DistillMethod(ctx.key, config, ctx.encoder, teacher, ctx.rng);
      } catch (e) {
        teacher.dispose();
        throw e;
      }
    },
  };
}

export const distillDefinition = createDistillDefinition();
