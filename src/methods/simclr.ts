import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../nn/module.ts';
import { MLP, MLP_NORMS, type MlpNorm } from '../nn/mlp.ts';
import type { Encoder } from '../models/encoder.ts';
import { Fields } from '../util/fields.ts';
import type { Rng } from '../util/rng.ts';
import { batchPositions, imageBatchSource, type ImageTrainBatch } from '../data/image-batch.ts';
import type { ViewGenerator } from '../image/views/view-generator.ts';
import { ntXentLoss, NT_XENT_DEFAULTS } from './losses/nt-xent.ts';
import { checkImageEncoder, imageTensor, pooledImageRepresentation } from './image-tensor.ts';
import { buildImageViews, readImageViewsConfig, type ImageViewsConfig } from './image-view-config.ts';
import type { LossContext, LossOutput, Method, MethodBuildContext, MethodDefinition } from './method.ts';

/**
 * SimCLR (Chen, Kornblith, Norouzi and Hinton 2020): "a stochastic data augmentation module that
 * transforms any given data example randomly resulting in two correlated views", a base encoder f, "a
 * small neural network projection head g(.) that maps representations to the space where contrastive
 * loss is applied" (an MLP with one hidden layer and a ReLU), and the NT-Xent loss over the 2N views of a
 * batch (src/methods/losses/nt-xent.ts), temperature 0.2 by default.
 *
 * Both views go through the encoder as one batch of 2N images (the encoder's norms are per image, so
 * nothing leaks between them); the representation is the mean of the output tokens (or of `layer`).
 * The projector's hidden norm is `projectorNorm`: LayerNorm by default, or the paper's batch norm
 * (`batch`: statistics over the 2N views of the step; its running statistics are buffers, checkpointed
 * but never trained), or none. Metric `acc`: how often a
 * view's most similar other view is its positive (top-1 pair accuracy).
 * Parameter names: `<key>.projector.layers.{0,1}.*`, `<key>.projector.norms.0.*`.
 */
export interface SimclrConfig {
  temperature: number;
  projectorHidden: number;
  projectorDim: number;
  /** The norm after the projector's hidden Linear (SimCLR: batch). */
  projectorNorm: MlpNorm;
  views: ImageViewsConfig;
}

export const SIMCLR_DEFAULTS: SimclrConfig = { temperature: NT_XENT_DEFAULTS.temperature, projectorHidden: 512, projectorDim: 128, projectorNorm: 'layer', views: { preset: 'simclr-cifar' } };

export class SimclrMethod extends Module implements Method<ImageTrainBatch> {
  readonly name = 'simclr';
  readonly accepts = ['image'] as const;
  readonly projector: MLP;

  constructor(private readonly key: string, readonly config: SimclrConfig, encoder: Encoder, private readonly views: ViewGenerator, rng: Rng) {
    super();
    if (views.numViews !== 2) throw new Error(`simclr: the view generator makes ${views.numViews} views, expected 2`);
    this.projector = this.child('projector', new MLP([encoder.outputDim, config.projectorHidden, config.projectorDim], { activation: 'relu', norm: config.projectorNorm, rng }));
  }

  parameters(): Map<string, tf.Variable> {
    return this.trainableParameters(`${this.key}.`);
  }

  /** The projector's batch-norm running statistics (none with the other norms). */
  buffers(): Map<string, tf.Variable> {
    return new Map([...this.namedParameters(`${this.key}.`)].filter(([, v]) => !v.trainable));
  }

  loss(batch: ImageTrainBatch, ctx: LossContext): LossOutput {
    const [v1, v2] = this.views.generate(imageBatchSource(batch), batchPositions(batch), ctx.rng);
    const n = v1.shape[0];
    const x = tf.concat([imageTensor(v1, batch.normalize), imageTensor(v2, batch.normalize)], 0);
    const z = this.projector.forward(pooledImageRepresentation(ctx.encoder, x, ctx.layer)) as tf.Tensor2D;
    const [z1, z2] = tf.split(z, [n, n], 0) as [tf.Tensor2D, tf.Tensor2D];
    const r = ntXentLoss(z1, z2, { temperature: this.config.temperature });
    return { loss: r.loss, metrics: { acc: r.metrics.acc } };
  }
}

function readSimclrConfig(f: Fields): SimclrConfig {
  const d = SIMCLR_DEFAULTS;
  const c: SimclrConfig = {
    temperature: f.number('temperature', d.temperature, { above: 0 }),
    projectorHidden: f.int('projectorHidden', d.projectorHidden, { min: 1 }),
    projectorDim: f.int('projectorDim', d.projectorDim, { min: 1 }),
    projectorNorm: f.choice('projectorNorm', MLP_NORMS, d.projectorNorm),
    views: readImageViewsConfig(f.object('views'), d.views.preset),
  };
  f.done();
  return c;
}

export const simclrDefinition: MethodDefinition<SimclrConfig> = {
  readConfig: readSimclrConfig,
  create(config: SimclrConfig, ctx: MethodBuildContext): SimclrMethod {
    const image = ctx.data.image;
    checkImageEncoder(`${ctx.key} (simclr)`, ctx.encoder, image);
    const views = buildImageViews(config.views, Math.min(image!.height, image!.width));
    return new SimclrMethod(ctx.key, config, ctx.encoder, views, ctx.rng);
  },
};
