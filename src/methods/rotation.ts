import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../nn/module.ts';
import { MLP } from '../nn/mlp.ts';
import type { Encoder } from '../models/encoder.ts';
import type { Fields } from '../util/fields.ts';
import type { Rng } from '../util/rng.ts';
import { batchPositions, imageBatchSource, type ImageTrainBatch } from '../data/image-batch.ts';
import { RotationSampler, ROTATION_CLASSES } from '../image/views/rotation-sampler.ts';
import { Compose, type ImageTransform } from '../image/transforms/transform.ts';
import { RandomResizedCrop } from '../image/transforms/random-resized-crop.ts';
import { RandomHorizontalFlip } from '../image/transforms/flip.ts';
import { classificationLoss } from './losses/classification.ts';
import { checkImageEncoder, imageTensor, pooledImageRepresentation } from './image-tensor.ts';
import type { LossContext, LossOutput, Method, MethodBuildContext, MethodDefinition } from './method.ts';

/**
 * Rotation prediction (Gidaris, Singh and Komodakis 2018, "Unsupervised representation learning by
 * predicting image rotations"): each image is turned by 0, 90, 180 or 270 degrees and a classifier on the
 * pooled encoder output names the turn. With `allRotations` (the paper's choice) every image of the batch
 * appears in all four turns, so a batch of N images is 4N inputs; otherwise each gets one random turn.
 * Before turning, an optional random resized crop and a horizontal flip (training only).
 *
 * The head is linear (`hiddenDim` 0) or an MLP with one hidden layer. Loss: cross-entropy over the four
 * classes; metric `acc`. Validation turns every image four ways, without the crop and flip.
 * Parameter names: `<key>.head.layers.{i}.weight|bias`.
 */
export interface RotationConfig {
  allRotations: boolean;
  /** Minimum area of the random resized crop before turning (0: no crop). */
  cropMinScale: number;
  flipProb: number;
  /** Hidden width of the head (0: a linear head). */
  hiddenDim: number;
}

export const ROTATION_DEFAULTS: RotationConfig = { allRotations: true, cropMinScale: 0, flipProb: 0.5, hiddenDim: 0 };

export class RotationMethod extends Module implements Method<ImageTrainBatch> {
  readonly name = 'rotation';
  readonly accepts = ['image'] as const;
  readonly head: MLP;
  private readonly trainSampler: RotationSampler;
  private readonly evalSampler = new RotationSampler({ allRotations: true });

  constructor(private readonly key: string, readonly config: RotationConfig, encoder: Encoder, imageSide: number, rng: Rng) {
    super();
    const dims = config.hiddenDim > 0 ? [encoder.outputDim, config.hiddenDim, ROTATION_CLASSES] : [encoder.outputDim, ROTATION_CLASSES];
    this.head = this.child('head', new MLP(dims, { activation: 'relu', rng }));
    const steps: ImageTransform[] = [];
    if (config.cropMinScale > 0) steps.push(new RandomResizedCrop({ height: imageSide, width: imageSide, scale: [config.cropMinScale, 1] }));
    if (config.flipProb > 0) steps.push(new RandomHorizontalFlip(config.flipProb));
    this.trainSampler = new RotationSampler({ allRotations: config.allRotations, transform: steps.length ? new Compose(steps) : null });
  }

  parameters(): Map<string, tf.Variable> {
    return this.namedParameters(`${this.key}.`);
  }

  loss(batch: ImageTrainBatch, ctx: LossContext): LossOutput {
    const sampler = ctx.training ? this.trainSampler : this.evalSampler;
    const { inputs, labels } = sampler.sample(imageBatchSource(batch), batchPositions(batch), ctx.rng);
    const x = imageTensor(inputs[0], batch.normalize);
    const rep = pooledImageRepresentation(ctx.encoder, x, ctx.layer);
    const logits = this.head.forward(rep) as tf.Tensor2D;
    const r = classificationLoss(logits, labels);
    return { loss: r.loss, metrics: { acc: r.metrics.acc } };
  }
}

function readRotationConfig(f: Fields): RotationConfig {
  const d = ROTATION_DEFAULTS;
  const c: RotationConfig = {
    allRotations: f.bool('allRotations', d.allRotations),
    cropMinScale: f.number('cropMinScale', d.cropMinScale, { min: 0, max: 1 }),
    flipProb: f.number('flipProb', d.flipProb, { min: 0, max: 1 }),
    hiddenDim: f.int('hiddenDim', d.hiddenDim, { min: 0 }),
  };
  f.done();
  return c;
}

export const rotationDefinition: MethodDefinition<RotationConfig> = {
  readConfig: readRotationConfig,
  create(config: RotationConfig, ctx: MethodBuildContext): RotationMethod {
    const image = ctx.data.image;
    checkImageEncoder(`${ctx.key} (rotation)`, ctx.encoder, image);
    if (image!.height !== image!.width) throw new Error(`method ${ctx.key} (rotation) needs square images, the data gives ${image!.height}x${image!.width} (set data.size)`);
    return new RotationMethod(ctx.key, config, ctx.encoder, image!.height, ctx.rng);
  },
};
