import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../nn/module.ts';
import { Linear } from '../nn/linear.ts';
import type { Encoder } from '../models/encoder.ts';
import type { SequenceBatch } from '../data/sequence.ts';
import type { Fields } from '../util/fields.ts';
import type { Rng } from '../util/rng.ts';
import type { LossContext, LossOutput, Method, MethodBuildContext, MethodDefinition } from './method.ts';
import { SPAN_MASK_DEFAULTS } from './masking.ts';
import { maskedForward } from './masked-forward.ts';
import { alignLabelsToFrames } from './label-alignment.ts';
import { HUBERT_LOSS_DEFAULTS, hubertPredictionLoss } from './losses/hubert.ts';
import { featurePenalty } from './losses/feature-penalty.ts';

/**
 * HuBERT (Hsu et al. 2021): mask spans of the encoder's local features with the encoder's learned mask
 * embedding (through `frameMask`), run the context network, project each frame (the paper's A) and
 * score it against one embedding per k-means cluster with cosine / tau; cross-entropy on the masked
 * frames (and, with a weight, the unmasked ones) plus the feature penalty.
 *
 * Labels come from the batch (`.km` files, label set `labelSet`) at any rate the data declares
 * (`labelsPerFrame` per input frame: 1 for 100 Hz labels on 100 Hz features, 0.5 for 50 Hz); they are
 * aligned to the encoder's frames as fairseq's `forward_targets` does (labels at 100 Hz on a 50 Hz
 * encoder keep every second label).
 */
export interface HubertConfig {
  /** fairseq mask_prob (base 0.8): expected share of frames starting a span, times the span length. */
  maskProb: number;
  /** fairseq mask_length (base 10). */
  maskLength: number;
  minMasks: number;
  /** Same masked-frame count for every utterance of a batch (fairseq's default). */
  requireSameMasks: boolean;
  /** Logit temperature (fairseq logit_temp 0.1). */
  temperature: number;
  /** Weight of the masked-frame cross-entropy (fairseq pred_masked_weight). */
  maskedWeight: number;
  /** Weight of the unmasked-frame cross-entropy (fairseq pred_nomask_weight, default 0). */
  unmaskedWeight: number;
  /** Weight of the feature penalty (fairseq loss_weights [10]). */
  featurePenalty: number;
  /** Width of the final projection and the label embeddings (fairseq final_dim 256; 0: the encoder width). */
  finalDim: number;
  /** Which of the data's label sets (`.km` files) to predict. */
  labelSet: number;
}

export const HUBERT_DEFAULTS: HubertConfig = {
  maskProb: SPAN_MASK_DEFAULTS.maskProb,
  maskLength: SPAN_MASK_DEFAULTS.maskLength,
  minMasks: SPAN_MASK_DEFAULTS.minMasks,
  requireSameMasks: SPAN_MASK_DEFAULTS.requireSameMasks,
  temperature: HUBERT_LOSS_DEFAULTS.temperature,
  maskedWeight: HUBERT_LOSS_DEFAULTS.maskedWeight,
  unmaskedWeight: HUBERT_LOSS_DEFAULTS.unmaskedWeight,
  featurePenalty: 10,
  finalDim: 256,
  labelSet: 0,
};

/** Input frames (or samples) per encoder frame, from the encoder's length rule on a long input. */
export function inputFramesPerEncoderFrame(encoder: Encoder): number {
  const probe = 1 << 22;
  const out = encoder.outputLength(probe);
  if (!(out > 0)) throw new Error(`hubert: encoder.outputLength(${probe}) = ${out}`);
  const ratio = probe / out;
  const rounded = Math.round(ratio);
  return Math.abs(ratio - rounded) < 1e-3 * rounded ? rounded : ratio;
}

/**
 * The label of every encoder frame of a batch, row-major [B, T] (-1 where a frame has no label or is
 * padding). `labelsPerInputFrame` is the data's rate, `stride` the encoder's input frames per frame.
 */
export function frameLabels(batch: SequenceBatch, labelSet: number, labelsPerInputFrame: number, stride: number, frameLengths: ArrayLike<number>, T: number): Int32Array {
  const set = batch.labels[labelSet];
  if (!set) throw new Error(`hubert: the batch has ${batch.labels.length} label sets, labelSet ${labelSet} asked (give data.train.labels)`);
  const [B, L] = set.shape;
  const out = new Int32Array(B * T).fill(-1);
  for (let b = 0; b < B; b++) {
    const labels = set.data.subarray(b * L, b * L + set.lengths[b]);
    const aligned = alignLabelsToFrames(labels, Math.min(frameLengths[b], T), { labelRate: labelsPerInputFrame * stride, frameRate: 1 });
    out.set(aligned.labels, b * T);
  }
  return out;
}

export class HubertMethod extends Module implements Method<SequenceBatch> {
  readonly name = 'hubert';
  readonly accepts = ['sequence'] as const;
  readonly projection: Linear;
  readonly labelEmbeddings: tf.Variable;
  private readonly stride: number;

  constructor(
    private readonly key: string,
    readonly config: HubertConfig,
    encoder: Encoder,
    readonly numClasses: number,
    private readonly labelsPerInputFrame: number,
    rng: Rng,
  ) {
    super();
    const dim = config.finalDim > 0 ? config.finalDim : encoder.outputDim;
    this.projection = this.child('final_proj', new Linear(encoder.outputDim, dim, { rng }));
    this.labelEmbeddings = this.param('label_embs', tf.tensor2d(rng.normalArray(numClasses * dim, 1), [numClasses, dim]));
    this.stride = inputFramesPerEncoderFrame(encoder);
  }

  parameters(): Map<string, tf.Variable> {
    return this.namedParameters(`${this.key}.`);
  }

  loss(batch: SequenceBatch, ctx: LossContext): LossOutput {
    const c = this.config;
    const { local, lengths, mask, rep, frames: T, valid } = maskedForward('hubert', ctx, c);
    const labels = frameLabels(batch, c.labelSet, this.labelsPerInputFrame, this.stride, lengths, T);
    const projected = this.projection.forward(rep);
    const pred = hubertPredictionLoss(
      { projected, labelEmbeddings: this.labelEmbeddings as tf.Tensor2D, labels, mask: mask.data },
      { temperature: c.temperature, maskedWeight: c.maskedWeight, unmaskedWeight: c.unmaskedWeight },
    );
    const pen = featurePenalty(local.extracted ?? local.features, valid);
    const loss = c.featurePenalty > 0 ? (tf.add(pred.loss, tf.mul(pen, c.featurePenalty)) as tf.Scalar) : pred.loss;
    const m = pred.metrics;
    const validCount = lengths.reduce((a, b) => a + b, 0);
    return {
      loss,
      metrics: {
        acc_masked: m.acc_masked,
        acc_unmasked: m.acc_unmasked,
        loss_masked: m.loss_masked,
        loss_unmasked: m.loss_unmasked,
        feature_pen: pen,
        mask_frac: validCount > 0 ? m.frames_masked / validCount : 0,
      },
    };
  }
}

function readHubertConfig(f: Fields): HubertConfig {
  const d = HUBERT_DEFAULTS;
  const c: HubertConfig = {
    maskProb: f.number('maskProb', d.maskProb, { min: 0, max: 1 }),
    maskLength: f.int('maskLength', d.maskLength, { min: 1 }),
    minMasks: f.int('minMasks', d.minMasks, { min: 0 }),
    requireSameMasks: f.bool('requireSameMasks', d.requireSameMasks),
    temperature: f.number('temperature', d.temperature, { above: 0 }),
    maskedWeight: f.number('maskedWeight', d.maskedWeight, { min: 0 }),
    unmaskedWeight: f.number('unmaskedWeight', d.unmaskedWeight, { min: 0 }),
    featurePenalty: f.number('featurePenalty', d.featurePenalty, { min: 0 }),
    finalDim: f.int('finalDim', d.finalDim, { min: 0 }),
    labelSet: f.int('labelSet', d.labelSet, { min: 0 }),
  };
  f.done();
  return c;
}

export const hubertDefinition: MethodDefinition<HubertConfig> = {
  readConfig: readHubertConfig,
  create(config: HubertConfig, ctx: MethodBuildContext): HubertMethod {
    const sets = ctx.data.labelSets;
    const set = sets[config.labelSet];
    if (!set) {
      throw new Error(
        sets.length === 0
          ? `method ${ctx.key} (hubert) needs frame labels: give data.train.labels (fairseq .km files from speech-ssl label)`
          : `method ${ctx.key} (hubert): labelSet ${config.labelSet} asked, the data has ${sets.length} label set(s)`,
      );
    }
    if (!(set.numClasses >= 2)) throw new Error(`method ${ctx.key} (hubert): ${set.file} has ${set.numClasses} class(es); is dict.km.txt empty?`);
    return new HubertMethod(ctx.key, config, ctx.encoder, set.numClasses, set.perFrame, ctx.rng);
  },
};
