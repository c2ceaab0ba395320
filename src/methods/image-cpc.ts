import * as tf from '@tensorflow/tfjs-core';
import { batchPositions, imageBatchSource, type ImageTrainBatch } from '../data/image-batch.ts';
import { CpcPatchGridSampler, defaultCpcPatchGridConfig } from '../image/views/cpc-patch-grid-sampler.ts';
import type { PatchGridConfig } from '../image/views/patch-grid.ts';
import type { Fields } from '../util/fields.ts';
import type { LossContext } from './method.ts';
import { imageTensor, pooledImageRepresentation } from './image-tensor.ts';

/**
 * CPC over a grid of image patches (van den Oord et al. 2018, sec. 3.2; Henaff et al. 2019): the same
 * method class and objective as audio CPC (cpc.ts), with the patch grid in place of the frames. Each image gives a `rows` x `cols`
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

/**
 * The sequences image CPC reads: a patch grid per image (CpcPatchGridSampler), every patch embedded on its
 * own by the shared encoder (the mean of its output tokens), read down the rows as `grid.sequence` says.
 * CpcMethod (cpc.ts) takes this in place of the encoder's frames.
 */
export class PatchGridSequences {
  readonly patches: CpcPatchGridSampler;

  constructor(readonly grid: ImageCpcGridConfig) {
    const { rows, cols, patchSize, gap, jitter } = grid;
    this.patches = new CpcPatchGridSampler({ rows, cols, patchSize, gap, jitter });
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
}
