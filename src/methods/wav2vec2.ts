import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../nn/module.ts';
import { Linear } from '../nn/linear.ts';
import type { Encoder } from '../models/encoder.ts';
import type { SequenceBatch } from '../data/sequence.ts';
import type { Fields, JsonValue } from '../util/fields.ts';
import type { Rng } from '../util/rng.ts';
import type { LossContext, LossOutput, Method, MethodBuildContext, MethodDefinition, StepInfo } from './method.ts';
import { maskedForward } from './masked-forward.ts';
import { GUMBEL_QUANTIZER_DEFAULTS, GumbelVectorQuantizer, type GumbelQuantizerConfig } from './quantizer.ts';
import { makeNegativeSampler, type NegativeSampler, type NegativeStrategyConfig } from './negatives.ts';
import { readNegativeStrategy } from './negative-strategy-config.ts';
import { WAV2VEC2_CONTRASTIVE_DEFAULTS, wav2vec2ContrastiveLoss } from './losses/wav2vec2-contrastive.ts';
import { diversityLoss } from './losses/diversity.ts';
import { featurePenalty } from './losses/feature-penalty.ts';

/**
 * wav2vec 2.0 (Baevski et al. 2020; fairseq Wav2Vec2Model): spans of the encoder's local features are
 * replaced by its learned mask vector (`frameMask`, mask_prob 0.65, span 10), the context network runs
 * on them, and each masked frame's context c_t (projected, `final_proj`) must pick its own quantized
 * local feature q_t (Gumbel product quantiser, G groups x V entries, `quantizer.*`; projected,
 * `project_q`) among `numNegatives` distractors (default: other masked frames of the same utterance; a
 * distractor equal to q_t is excluded), cosine / `logitTemperature`. The total:
 *
 *   L = L_contrastive + diversityWeight * (GV - perplexity) / GV + featurePenalty * mean(f^2)
 *
 * The Gumbel temperature anneals max(2 * 0.999995^updates, 0.5), set from the update count before every
 * step; the count is the method's checkpoint state (getState/setState). Targets are not detached
 * (as fairseq): the quantiser and, through its straight-through estimator, the feature network learn
 * from the contrastive loss.
 */
/** The quantiser's fields (G groups, V entries per group, code width, Gumbel temperature schedule) are GumbelQuantizerConfig's. */
export interface Wav2vec2Config extends Omit<GumbelQuantizerConfig, 'inputDim'> {
  maskProb: number;
  maskLength: number;
  minMasks: number;
  requireSameMasks: boolean;
  /** K, distractors per masked frame. */
  numNegatives: number;
  negatives: NegativeStrategyConfig;
  /** kappa of the cosine logits. */
  logitTemperature: number;
  /** Width of the projected context and targets (fairseq final_dim). */
  finalDim: number;
  diversityWeight: number;
  featurePenalty: number;
}

export const WAV2VEC2_DEFAULTS: Wav2vec2Config = {
  maskProb: 0.65,
  maskLength: 10,
  minMasks: 2,
  requireSameMasks: true,
  numNegatives: WAV2VEC2_CONTRASTIVE_DEFAULTS.numNegatives,
  negatives: { kind: 'same-utterance' },
  logitTemperature: WAV2VEC2_CONTRASTIVE_DEFAULTS.temperature,
  ...GUMBEL_QUANTIZER_DEFAULTS,
  finalDim: 256,
  diversityWeight: 0.1,
  featurePenalty: 10,
};

export class Wav2vec2Method extends Module implements Method<SequenceBatch> {
  readonly name = 'wav2vec2';
  readonly accepts = ['sequence'] as const;
  readonly quantizer: GumbelVectorQuantizer;
  readonly projectQ: Linear;
  readonly finalProj: Linear;
  readonly sampler: NegativeSampler;

  constructor(
    private readonly key: string,
    readonly config: Wav2vec2Config,
    encoder: Encoder,
    rng: Rng,
  ) {
    super();
    const c = config;
    const featureDim = encoder.featureDim ?? encoder.outputDim;
    this.quantizer = this.child(
      'quantizer',
      new GumbelVectorQuantizer(
        { inputDim: featureDim, groups: c.groups, entriesPerGroup: c.entriesPerGroup, codeDim: c.codeDim, maxTemperature: c.maxTemperature, minTemperature: c.minTemperature, temperatureDecay: c.temperatureDecay },
        rng.fork(),
      ),
    );
    this.projectQ = this.child('project_q', new Linear(c.codeDim, c.finalDim, { rng: rng.fork() }));
    this.finalProj = this.child('final_proj', new Linear(encoder.outputDim, c.finalDim, { rng: rng.fork() }));
    this.sampler = makeNegativeSampler(c.negatives);
  }

  parameters(): Map<string, tf.Variable> {
    return this.namedParameters(`${this.key}.`);
  }

  beforeStep(info: StepInfo): void {
    this.quantizer.setNumUpdates(info.step);
  }

  /** The count after the update, so that a checkpoint written now holds the updates applied. */
  afterStep(info: StepInfo): void {
    this.quantizer.setNumUpdates(info.step + 1);
  }

  getState(): JsonValue {
    return this.quantizer.getState();
  }

  setState(state: JsonValue): void {
    const n = (state as { numUpdates?: unknown } | null)?.numUpdates;
    if (typeof n !== 'number') throw new Error(`wav2vec2: checkpoint state ${JSON.stringify(state)} has no numUpdates`);
    this.quantizer.setNumUpdates(n);
  }

  loss(_batch: SequenceBatch, ctx: LossContext): LossOutput {
    const c = this.config;
    const { local, lengths, mask, rep, valid } = maskedForward('wav2vec2', ctx, c);
    const q = this.quantizer.forward(local.features, { rng: ctx.rng, frames: mask.data });
    const targets = this.projectQ.forward(q.quantized) as tf.Tensor3D;
    const context = this.finalProj.forward(rep) as tf.Tensor3D;
    const con = wav2vec2ContrastiveLoss({ context, targets, mask: mask.data }, this.sampler, ctx.rng, { temperature: c.logitTemperature, numNegatives: c.numNegatives });
    const div = diversityLoss(q.probPerplexity, q.numVars);
    const pen = featurePenalty(local.extracted ?? local.features, valid);
    let loss = con.loss;
    if (c.diversityWeight > 0) loss = tf.add(loss, tf.mul(div, c.diversityWeight)) as tf.Scalar;
    if (c.featurePenalty > 0) loss = tf.add(loss, tf.mul(pen, c.featurePenalty)) as tf.Scalar;
    const validCount = lengths.reduce((a, b) => a + b, 0);
    const maskedCount = mask.data.reduce((a, b) => a + b, 0);
    return {
      loss,
      metrics: {
        acc: con.metrics.acc,
        loss_contrastive: con.metrics.loss,
        code_perplexity: q.codePerplexity,
        prob_perplexity: q.probPerplexity,
        diversity: div,
        temperature: q.temperature,
        feature_pen: pen,
        duplicates: con.metrics.duplicates,
        mask_frac: validCount > 0 ? maskedCount / validCount : 0,
      },
    };
  }
}

function readWav2vec2Config(f: Fields): Wav2vec2Config {
  const d = WAV2VEC2_DEFAULTS;
  const c: Wav2vec2Config = {
    maskProb: f.number('maskProb', d.maskProb, { min: 0, max: 1 }),
    maskLength: f.int('maskLength', d.maskLength, { min: 1 }),
    minMasks: f.int('minMasks', d.minMasks, { min: 0 }),
    requireSameMasks: f.bool('requireSameMasks', d.requireSameMasks),
    numNegatives: f.int('numNegatives', d.numNegatives, { min: 1 }),
    negatives: readNegativeStrategy(f, d.negatives),
    logitTemperature: f.number('logitTemperature', d.logitTemperature, { above: 0 }),
    groups: f.int('groups', d.groups, { min: 1 }),
    entriesPerGroup: f.int('entriesPerGroup', d.entriesPerGroup, { min: 2 }),
    codeDim: f.int('codeDim', d.codeDim, { min: 1 }),
    maxTemperature: f.number('maxTemperature', d.maxTemperature, { above: 0 }),
    minTemperature: f.number('minTemperature', d.minTemperature, { above: 0 }),
    temperatureDecay: f.number('temperatureDecay', d.temperatureDecay, { above: 0, max: 1 }),
    finalDim: f.int('finalDim', d.finalDim, { min: 1 }),
    diversityWeight: f.number('diversityWeight', d.diversityWeight, { min: 0 }),
    featurePenalty: f.number('featurePenalty', d.featurePenalty, { min: 0 }),
  };
  if (c.codeDim % c.groups !== 0) f.fail('codeDim', `must be divisible by groups (${c.groups}), got ${c.codeDim}`);
  if (c.minTemperature > c.maxTemperature) f.fail('minTemperature', `must not exceed maxTemperature (${c.maxTemperature}), got ${c.minTemperature}`);
  f.done();
  return c;
}

export const wav2vec2Definition: MethodDefinition<Wav2vec2Config> = {
  readConfig: readWav2vec2Config,
  create(config: Wav2vec2Config, ctx: MethodBuildContext): Wav2vec2Method {
    return new Wav2vec2Method(ctx.key, config, ctx.encoder, ctx.rng);
  },
};
