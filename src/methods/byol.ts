import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../nn/module.ts';
import { MLP, MLP_NORMS, type MlpNorm } from '../nn/mlp.ts';
import type { Encoder } from '../models/encoder.ts';
import type { Batch } from '../data/source.ts';
import { Fields, type JsonValue } from '../util/fields.ts';
import { InputError } from '../util/errors.ts';
import type { Rng } from '../util/rng.ts';
import type { EncoderInput, LossContext, LossOutput, Method, MethodBuildContext, MethodDefinition, StepInfo } from './method.ts';
import { byolSymmetricLoss, normalizedEmbeddingStd } from './losses/byol.ts';
import { copyParameters, cosineEmaMomentum, emaUpdate } from './ema.ts';
import { encoderLike, freeze, prefixed, registryEncoderFactory, type EncoderFactory } from './frozen-copy.ts';
import { POOLINGS, poolFrames, type Pooling } from './embedding-pool.ts';
import type { TwoViewSampler } from './views/two-view-sampler.ts';
import { VIEW_KIND_DEFAULTS, VIEW_SAMPLERS } from './views/registry.ts';
import { checkImageEncoder } from './image-tensor.ts';

/**
 * BYOL (Grill et al. 2020), with BYOL-A's audio views (Niizumi et al. 2021) by default, or image crops
 * and colour (`views.kind: byol-image`, ./views/byol-image.ts). Two views of
 * every item go through the online network (the run's encoder, pooled over frames, a projector MLP and
 * a predictor MLP) and through the target network (an EMA copy of the encoder and the projector, no
 * predictor); each view's prediction regresses the other view's target projection with 2 - 2 cos,
 * symmetrised. The target receives no gradient: its variables are buffers, and after each update
 *   xi <- tau xi + (1 - tau) theta,   tau from tauBase to tauFinal on BYOL's cosine over the run's steps.
 *
 * The heads' hidden norm is `norm`: batch norm (BYOL's; the default) takes its statistics over the items
 * of each view's batch in both networks (the target's running statistics are averaged from the online
 * ones by the EMA, not updated by its own forwards); `layer` was this method's only head before batch
 * norm existed.
 *
 * Logged: loss_12, loss_21, tau, proj_std (std over the batch of the l2-normalised online projections,
 * about 1/sqrt(projectionDim) when healthy, 0 when collapsed), proj_std_ratio (proj_std * sqrt(dim)).
 */
export interface ByolConfig {
  projectionDim: number;
  /** Hidden width of the projector and the predictor (BYOL 4096). */
  hiddenDim: number;
  /** EMA momentum at step 0 and at the end (BYOL: 0.996 -> 1 on ImageNet; 0.99 suits short runs). */
  tauBase: number;
  tauFinal: number;
  /** The norm after the hidden Linear of the projector and the predictor (BYOL: batch). */
  norm: MlpNorm;
  /** Frame pooling before the projector (BYOL-A: mean + max); image views pool by the token mean instead. */
  pooling: Pooling;
  /** The view generator: `{kind, ...its fields}` (kind from the data kind when absent). */
  views: { [k: string]: JsonValue; kind: string };
}

export const BYOL_DEFAULTS: Omit<ByolConfig, 'views'> = { projectionDim: 256, hiddenDim: 4096, tauBase: 0.99, tauFinal: 1, norm: 'batch', pooling: 'mean+max' };

/** The projector / predictor of BYOL: Linear -> norm -> ReLU -> Linear. */
function byolHead(dims: number[], norm: MlpNorm, rng: Rng): MLP {
  return new MLP(dims, { activation: 'relu', norm, rng });
}

export class ByolMethod extends Module implements Method {
  readonly name = 'byol';
  readonly accepts: readonly string[];
  readonly projector: MLP;
  readonly predictor: MLP;
  readonly targetEncoder: Encoder;
  readonly targetProjector: MLP;
  private readonly targetBuffers: Map<string, tf.Variable>;

  constructor(
    private readonly key: string,
    readonly config: ByolConfig,
    private readonly online: Encoder,
    readonly views: TwoViewSampler,
    factory: EncoderFactory,
    rng: Rng,
  ) {
    super();
    const c = config;
    const inDim = online.outputDim;
    this.accepts = views.accepts;
    this.projector = this.child('projector', byolHead([inDim, c.hiddenDim, c.projectionDim], c.norm, rng.fork()));
    this.predictor = this.child('predictor', byolHead([c.projectionDim, c.hiddenDim, c.projectionDim], c.norm, rng.fork()));
    this.targetEncoder = encoderLike(online, factory);
    this.targetProjector = byolHead([inDim, c.hiddenDim, c.projectionDim], c.norm, rng.fork());
    copyParameters(this.targetEncoder, online);
    copyParameters(this.targetProjector, this.projector);
    // Batch statistics in the target too (BYOL); its running statistics come from the EMA alone.
    for (const bn of this.targetProjector.batchNorms()) bn.updateRunningStats = false;
    this.targetBuffers = new Map([...prefixed(`${key}.target.encoder.`, freeze(this.targetEncoder)), ...prefixed(`${key}.target.projector.`, freeze(this.targetProjector))]);
  }

  parameters(): Map<string, tf.Variable> {
    return this.trainableParameters(`${this.key}.`);
  }

  /** The EMA target, the heads' batch-norm running statistics (`<key>.projector.norms.0.running_mean`...), the views' state. */
  buffers(): Map<string, tf.Variable> {
    const headStats = [...this.namedParameters(`${this.key}.`)].filter(([, v]) => !v.trainable);
    return new Map([...this.targetBuffers, ...headStats, ...(this.views.buffers?.(`${this.key}.views.`) ?? [])]);
  }

  private embed(encoder: Encoder, input: EncoderInput, layer: number | undefined): tf.Tensor2D {
    if (this.views.embed) return this.views.embed(encoder, input, layer);
    const out = encoder.forward(input.x, { paddingMask: input.paddingMask, maxLayer: layer });
    const h = layer !== undefined ? out.hidden[layer] : out.output;
    if (!h) throw new Error(`byol: layer ${layer} asked, the encoder returned ${out.hidden.length} hidden states`);
    return poolFrames(h, this.config.pooling, out.paddingMask);
  }

  loss(batch: Batch, ctx: LossContext): LossOutput {
    const [v1, v2] = this.views.views(batch, ctx.rng, ctx.training);
    const z1 = this.projector.forward(this.embed(ctx.encoder, v1, ctx.layer)) as tf.Tensor2D;
    const z2 = this.projector.forward(this.embed(ctx.encoder, v2, ctx.layer)) as tf.Tensor2D;
    const q1 = this.predictor.forward(z1) as tf.Tensor2D;
    const q2 = this.predictor.forward(z2) as tf.Tensor2D;
    const t1 = this.targetProjector.forward(this.embed(this.targetEncoder, v1, ctx.layer)) as tf.Tensor2D;
    const t2 = this.targetProjector.forward(this.embed(this.targetEncoder, v2, ctx.layer)) as tf.Tensor2D;
    const { loss, metrics } = byolSymmetricLoss(q1, q2, t1, t2);
    const std = normalizedEmbeddingStd(z1);
    return {
      loss,
      metrics: {
        loss_12: metrics.loss_12,
        loss_21: metrics.loss_21,
        tau: this.tauAt(ctx),
        proj_std: std,
        proj_std_ratio: std * Math.sqrt(this.config.projectionDim),
      },
    };
  }

  tauAt(info: StepInfo): number {
    return cosineEmaMomentum(info.step, info.totalSteps, this.config.tauBase, this.config.tauFinal);
  }

  /** After update `info.step` (0-based): the target moves toward the online weights with tau of that step. */
  afterStep(info: StepInfo): void {
    const tau = this.tauAt(info);
    emaUpdate(this.targetEncoder, this.online, tau);
    emaUpdate(this.targetProjector, this.projector, tau);
    this.views.afterStep?.();
  }

  getState(): JsonValue {
    return { views: this.views.getState?.() ?? null };
  }

  setState(state: JsonValue): void {
    const s = state as { views?: JsonValue };
    if (s && s.views !== undefined && s.views !== null) this.views.setState?.(s.views);
  }

  override train(on = true): this {
    this.projector.train(on);
    this.predictor.train(on);
    // The target's encoder stays in evaluation mode (no dropout); its projector follows the online
    // mode, so batch norm normalises with the batch in training (running statistics in validation).
    this.targetProjector.train(on);
    this.training = on;
    return this;
  }

  override dispose(): void {
    super.dispose();
    this.targetEncoder.dispose();
    this.targetProjector.dispose();
    this.views.dispose();
  }
}

function readViews(f: Fields, dataKindHint: string | undefined): ByolConfig['views'] {
  const raw = f.json('views') ?? {};
  const vf = new Fields(raw, f.field('views'), f.file);
  const kind = vf.string('kind', dataKindHint ?? '');
  const def = VIEW_SAMPLERS[kind];
  if (!def) vf.fail('kind', `unknown view generator "${kind}" (known: ${Object.keys(VIEW_SAMPLERS).join(', ')})`);
  const cfg = def.readConfig(vf) as Record<string, JsonValue>;
  return { ...cfg, kind };
}

function readByolConfig(f: Fields): ByolConfig {
  const d = BYOL_DEFAULTS;
  const c: ByolConfig = {
    projectionDim: f.int('projectionDim', d.projectionDim, { min: 1 }),
    hiddenDim: f.int('hiddenDim', d.hiddenDim, { min: 1 }),
    tauBase: f.number('tauBase', d.tauBase, { min: 0, max: 1 }),
    tauFinal: f.number('tauFinal', d.tauFinal, { min: 0, max: 1 }),
    norm: f.choice('norm', MLP_NORMS, d.norm),
    pooling: f.choice('pooling', POOLINGS, d.pooling),
    // The data kind is not known here; `byol-a` (features) is the default until another modality's
    // sampler is registered and named in the config.
    views: readViews(f, VIEW_KIND_DEFAULTS.features),
  };
  if (c.tauFinal < c.tauBase) f.fail('tauFinal', `must be >= tauBase (${c.tauBase}), got ${c.tauFinal}`);
  f.done();
  return c;
}

/** BYOL's definition with a given encoder factory (for the target copy); the registry's by default. */
export function createByolDefinition(factory: EncoderFactory = registryEncoderFactory): MethodDefinition<ByolConfig> {
  return {
    readConfig: readByolConfig,
    create(config: ByolConfig, ctx: MethodBuildContext): ByolMethod {
      const { kind, ...rest } = config.views;
      const def = VIEW_SAMPLERS[kind];
      if (!def) throw new InputError(`unknown view generator "${kind}"`, { field: `${ctx.key}.config.views.kind` });
      if (ctx.data.image && kind === 'byol-a') {
        throw new InputError('byol-a views read log-mel features; the data is images (set views.kind: byol-image)', { field: `${ctx.key}.config.views.kind` });
      }
      const views = def.create(def.readConfig(new Fields(rest, `${ctx.key}.config.views`)), ctx.data);
      try {
        if (views.accepts.includes('image')) checkImageEncoder(`${ctx.key} (byol)`, ctx.encoder, ctx.data.image);
        return new ByolMethod(ctx.key, config, ctx.encoder, views, factory, ctx.rng);
      } catch (e) {
        views.dispose();
        throw e;
      }
    },
  };
}

export const byolDefinition = createByolDefinition();
