import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../nn/module.ts';
import { GRU } from '../nn/gru.ts';
import type { Encoder } from '../models/encoder.ts';
import { batchPositions, imageBatchSource, type ImageTrainBatch } from '../data/image-batch.ts';
import { CpcPatchGridSampler, defaultCpcPatchGridConfig } from '../image/views/cpcPatchGridSampler.ts';
import type { PatchGridConfig } from '../image/views/patchGrid.ts';
import type { Fields } from '../util/fields.ts';
import type { Rng } from '../util/rng.ts';
import type { LossContext, LossOutput, Method } from './method.ts';
import { CpcStepPredictors } from './heads.ts';
import { makeNegativeSampler, type NegativeSampler } from './negatives.ts';
import { cpcLoss } from './losses/cpc.ts';
import { imageTensor, pooledImageRepresentation } from './image-tensor.ts';
import type { CpcMethodConfig } from './cpc.ts';

/**
 * CPC over a grid of image patches (van den Oord et al. 2018, sec. 3.2; Henaff et al. 2019): the same
 * objective as audio CPC, with the patch grid in place of the frames. Each image gives a `rows` x `cols`
 * grid of `patchSize` patches (CpcPatchGridSampler; negative `gap`: overlapping); the shared encoder
 * embeds every patch on its own (the mean over its output tokens, z); the rows of the grid are the time
 * axis, read one of two ways (`sequence`):
 * - `columns` (default, as CPC v2): every column of every image is a sequence of `rows` patch
 *   embeddings, so a context over the patches above predicts the patches below in the same column;
 * - `rows`: each row's patch embeddings are averaged, one sequence of `rows` vectors per image.
 * A GRU the method owns runs down the rows (the encoder has no row axis, so `context: encoder` is
 * refused), and the step heads, InfoNCE and the `negatives` strategy are audio CPC's (losses/cpc.ts),
 * with one sequence (a column, or an image for `rows`) in the role of an utterance: `same-utterance`
 * draws negatives from the anchor's own column, `batch` from every patch embedding of the batch.
 */
export interface ImageCpcGridConfig extends PatchGridConfig {
  sequence: 'columns' | 'rows';
}

export const IMAGE_CPC_GRID_DEFAULTS: ImageCpcGridConfig = {
  rows: defaultCpcPatchGridConfig.rows,
  cols: defaultCpcPatchGridConfig.cols,
  patchSize: defaultCpcPatchGridConfig.patchSize,
  gap: defaultCpcPatchGridConfig.gap,
  jitter: defaultCpcPatchGridConfig.jitter,
  sequence: 'columns',
};

/** Reads the `grid` section of a cpc config (`f` is that object). */
export function readImageCpcGrid(f: Fields): ImageCpcGridConfig {
  const d = IMAGE_CPC_GRID_DEFAULTS;
  const patchSize = f.int('patchSize', d.patchSize, { min: 1 });
  const g: ImageCpcGridConfig = {
    rows: f.int('rows', d.rows, { min: 2 }),
    cols: f.int('cols', d.cols, { min: 1 }),
    patchSize,
    gap: f.int('gap', d.gap, { min: 1 - patchSize }),
    jitter: f.int('jitter', d.jitter, { min: 0 }),
    sequence: f.choice('sequence', ['columns', 'rows'] as const, d.sequence),
  };
  f.done();
  return g;
}

export class ImageCpcMethod extends Module implements Method<ImageTrainBatch> {
  readonly name = 'cpc';
  readonly accepts = ['image'] as const;
  readonly contextNetwork: GRU;
  readonly predictors: CpcStepPredictors;
  readonly sampler: NegativeSampler;
  readonly patches: CpcPatchGridSampler;

  constructor(
    private readonly key: string,
    readonly config: CpcMethodConfig,
    readonly grid: ImageCpcGridConfig,
    encoder: Encoder,
    rng: Rng,
  ) {
    super();
    const zDim = encoder.outputDim;
    this.contextNetwork = this.child('context', new GRU(zDim, config.contextDim, { numLayers: config.contextLayers, rng: rng.fork() }));
    this.predictors = this.child('predictors', new CpcStepPredictors(config.contextDim, zDim, config.steps, rng.fork()));
    this.sampler = makeNegativeSampler(config.negatives);
    const { rows, cols, patchSize, gap, jitter } = grid;
    this.patches = new CpcPatchGridSampler({ rows, cols, patchSize, gap, jitter });
  }

  parameters(): Map<string, tf.Variable> {
    return this.namedParameters(`${this.key}.`);
  }

  /** The patch embeddings as sequences down the rows, [S, rows, D] (S = images x cols, or images). */
  sequences(batch: ImageTrainBatch, ctx: LossContext): tf.Tensor3D {
    const g = this.patches.sample(imageBatchSource(batch), batchPositions(batch), ctx.rng);
    const [n, rows, cols, p, , c] = g.shape;
    const x = imageTensor({ data: g.data, shape: [n * rows * cols, p, p, c] }, batch.normalize);
    const z = pooledImageRepresentation(ctx.encoder, x, ctx.layer);
    const d = z.shape[1];
    const grid = tf.reshape(z, [n, rows, cols, d]);
    if (this.grid.sequence === 'rows') return tf.mean(grid, 2) as tf.Tensor3D;
    return tf.reshape(tf.transpose(grid, [0, 2, 1, 3]), [n * cols, rows, d]) as tf.Tensor3D;
  }

  loss(batch: ImageTrainBatch, ctx: LossContext): LossOutput {
    const z = this.sequences(batch, ctx);
    const context = this.contextNetwork.forward(z).output;
    const res = cpcLoss({ context, encoded: z }, this.predictors, this.sampler, ctx.rng, { numNegatives: this.config.numNegatives, stepReduction: this.config.stepReduction });
    const metrics: Record<string, number> = { acc: res.metrics.acc };
    for (let k = 1; k <= this.config.steps; k++) metrics[`acc_${k}`] = res.metrics[`acc_${k}`];
    return { loss: res.loss, metrics };
  }
}
