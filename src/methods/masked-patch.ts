import * as tf from '@tensorflow/tfjs-core';
import { isAbsolute, resolve } from 'node:path';
import { Module } from '../nn/module.ts';
import { Linear } from '../nn/linear.ts';
import type { Encoder } from '../models/encoder.ts';
import type { Fields } from '../util/fields.ts';
import { InputError } from '../util/errors.ts';
import { readNpy } from '../util/npy.ts';
import type { Rng } from '../util/rng.ts';
import { packImages } from '../image/dataset.ts';
import type { Image } from '../image/image.ts';
import { RandomHorizontalFlip } from '../image/transforms/flip.ts';
import type { ImageTrainBatch } from '../data/image-batch.ts';
import { HUBERT_LOSS_DEFAULTS, hubertPredictionLoss } from './losses/hubert.ts';
import { checkImageEncoder, imageTensor } from './image-tensor.ts';
import { PatchAssigner, fitPatchCentroids, patchFeatureDim, patchFeatures } from './patch-tokenizer.ts';
import { patchMask, type PatchMaskShape } from './patch-masking.ts';
import type { LossContext, LossOutput, Method, MethodBuildContext, MethodDefinition } from './method.ts';

/**
 * Masked patch prediction: HuBERT's idea (Hsu et al. 2021) on images, with a patch tokenizer in place of
 * the acoustic k-means. The targets are the k-means cluster IDs of the image's p x p patches (pixels,
 * standardised per patch; src/methods/patch-tokenizer.ts), with the centroids fitted once when the method
 * is built, on the patches of `fitImages` training images (or read from a `centroids` .npy [k, p*p*c]).
 * A share `maskRatio` of the ViT's input patches is replaced by its learned mask embedding (the encoder's
 * `frameMask`), and every output token is projected and scored against one embedding per cluster with
 * cosine / 0.1 — HuBERT's loss (src/methods/losses/hubert.ts), cross-entropy on the masked tokens (and,
 * with a weight, the others). BEiT (Bao et al. 2022) does the same with a dVAE's visual tokens.
 *
 * The centroids are a buffer (`<key>.centroids`), so a checkpoint carries its tokenizer. Needs an encoder
 * that masks input patches (vit, pool none); the tokenizer's patch size is the encoder's.
 * Parameter names: `<key>.final_proj.*`, `<key>.label_embs`.
 */
export interface MaskedPatchConfig {
  /** Clusters of the tokenizer (the number of target IDs). */
  k: number;
  /** Training images whose patches the tokenizer is fitted on. */
  fitImages: number;
  /** A centroids file (.npy [k, p*p*c], float32) instead of fitting; relative to the config's folder. */
  centroids: string | null;
  patchNorm: boolean;
  maskRatio: number;
  maskShape: PatchMaskShape;
  flipProb: number;
  temperature: number;
  maskedWeight: number;
  unmaskedWeight: number;
  finalDim: number;
}

export const MASKED_PATCH_DEFAULTS: MaskedPatchConfig = {
  k: 64,
  fitImages: 1000,
  centroids: null,
  patchNorm: true,
  maskRatio: 0.4,
  maskShape: 'block',
  flipProb: 0.5,
  temperature: HUBERT_LOSS_DEFAULTS.temperature,
  maskedWeight: HUBERT_LOSS_DEFAULTS.maskedWeight,
  unmaskedWeight: HUBERT_LOSS_DEFAULTS.unmaskedWeight,
  finalDim: 128,
};

interface PatchEncoder {
  patchSize: number;
  rows: number;
  cols: number;
}

/** The patch grid of a ViT-like encoder (config `patchSize`, `imageSize`, `pool: none`), or an error. */
function patchGridOf(encoder: Encoder, where: string): PatchEncoder {
  const c = encoder.config as { patchSize?: number; imageSize?: number; pool?: string };
  if (encoder.kind !== 'vit' || c.patchSize === undefined || c.imageSize === undefined) {
    throw new Error(`method ${where} masks input patches through the encoder's frame mask; use a vit encoder (got ${encoder.kind})`);
  }
  if (c.pool !== 'none') throw new Error(`method ${where} predicts a target per patch; the vit encoder must keep its tokens (pool: none)`);
  const side = c.imageSize / c.patchSize;
  return { patchSize: c.patchSize, rows: side, cols: side };
}

export class MaskedPatchMethod extends Module implements Method<ImageTrainBatch> {
  readonly name = 'masked-patch';
  readonly accepts = ['image'] as const;
  readonly projection: Linear;
  readonly labelEmbeddings: tf.Variable;
  readonly centroids: tf.Variable;
  private readonly assigner: PatchAssigner;
  private readonly flip: RandomHorizontalFlip | null;

  constructor(
    private readonly key: string,
    readonly config: MaskedPatchConfig,
    encoder: Encoder,
    readonly grid: PatchEncoder,
    channels: number,
    centroids: Float32Array,
    rng: Rng,
  ) {
    super();
    const dim = patchFeatureDim(grid.patchSize, channels);
    const k = centroids.length / dim;
    const finalDim = config.finalDim > 0 ? config.finalDim : encoder.outputDim;
    this.projection = this.child('final_proj', new Linear(encoder.outputDim, finalDim, { rng }));
    this.labelEmbeddings = this.param('label_embs', tf.tensor2d(rng.normalArray(k * finalDim, 1), [k, finalDim]));
    const init = tf.tensor2d(centroids, [k, dim]);
    this.centroids = tf.variable(init, false);
    init.dispose();
    this.assigner = new PatchAssigner(dim);
    this.flip = config.flipProb > 0 ? new RandomHorizontalFlip(config.flipProb) : null;
  }

  parameters(): Map<string, tf.Variable> {
    return this.namedParameters(`${this.key}.`);
  }

  buffers(): Map<string, tf.Variable> {
    return new Map([[`${this.key}.centroids`, this.centroids]]);
  }

  /** The tokenizer's target ID of every patch of `images`, row-major [N * T]. */
  targets(images: readonly Image[]): Int32Array {
    const features = patchFeatures(images, { patchSize: this.grid.patchSize, patchNorm: this.config.patchNorm });
    return this.assigner.assign(features, this.centroids.dataSync() as Float32Array);
  }

  loss(batch: ImageTrainBatch, ctx: LossContext): LossOutput {
    const c = this.config;
    const images = ctx.training && this.flip ? batch.images.map((img) => this.flip!.apply(img, ctx.rng)) : batch.images;
    const B = images.length;
    const { rows, cols } = this.grid;
    const labels = this.targets(images);
    const mask = patchMask(B, rows, cols, c.maskRatio, c.maskShape, ctx.rng);
    const x = imageTensor(packImages(images), batch.normalize);
    const local = ctx.encoder.features(x);
    const out = ctx.encoder.context(local, { frameMask: tf.tensor2d(mask, [B, rows * cols]), ...(ctx.layer !== undefined ? { maxLayer: ctx.layer } : {}) });
    const rep = ctx.layer !== undefined ? out.hidden[ctx.layer] : out.output;
    if (!rep) throw new Error(`masked-patch: layer ${ctx.layer} asked, the encoder returned ${out.hidden.length} hidden states`);
    const pred = hubertPredictionLoss(
      { projected: this.projection.forward(rep), labelEmbeddings: this.labelEmbeddings as tf.Tensor2D, labels, mask },
      { temperature: c.temperature, maskedWeight: c.maskedWeight, unmaskedWeight: c.unmaskedWeight },
    );
    const m = pred.metrics;
    return { loss: pred.loss, metrics: { acc_masked: m.acc_masked, acc_unmasked: m.acc_unmasked, loss_masked: m.loss_masked, mask_frac: m.frames_masked / mask.length } };
  }

  dispose(): void {
    super.dispose();
    this.centroids.dispose();
  }
}

function readMaskedPatchConfig(f: Fields): MaskedPatchConfig {
  const d = MASKED_PATCH_DEFAULTS;
  const c: MaskedPatchConfig = {
    k: f.int('k', d.k, { min: 2 }),
    fitImages: f.int('fitImages', d.fitImages, { min: 1 }),
    centroids: f.optionalString('centroids') ?? null,
    patchNorm: f.bool('patchNorm', d.patchNorm),
    maskRatio: f.number('maskRatio', d.maskRatio, { above: 0, max: 1 }),
    maskShape: f.choice('maskShape', ['random', 'block'] as const, d.maskShape),
    flipProb: f.number('flipProb', d.flipProb, { min: 0, max: 1 }),
    temperature: f.number('temperature', d.temperature, { above: 0 }),
    maskedWeight: f.number('maskedWeight', d.maskedWeight, { min: 0 }),
    unmaskedWeight: f.number('unmaskedWeight', d.unmaskedWeight, { min: 0 }),
    finalDim: f.int('finalDim', d.finalDim, { min: 0 }),
  };
  f.done();
  return c;
}

function readCentroidsFile(file: string, dim: number): Float32Array {
  const a = readNpy(file);
  if (!(a.data instanceof Float32Array) || a.shape.length !== 2) throw new InputError(`expected float32 centroids [k, ${dim}], got ${a.data.constructor.name} [${a.shape}]`, { file });
  if (a.shape[1] !== dim) throw new InputError(`centroids have ${a.shape[1]} dims, patches of this encoder and data have ${dim}`, { file });
  if (a.shape[0] < 2) throw new InputError(`need at least 2 centroids, got ${a.shape[0]}`, { file });
  return a.data;
}

export const maskedPatchDefinition: MethodDefinition<MaskedPatchConfig> = {
  readConfig: readMaskedPatchConfig,
  create(config: MaskedPatchConfig, ctx: MethodBuildContext): MaskedPatchMethod {
    const where = `${ctx.key} (masked-patch)`;
    const image = ctx.data.image;
    checkImageEncoder(where, ctx.encoder, image);
    const grid = patchGridOf(ctx.encoder, where);
    const dim = patchFeatureDim(grid.patchSize, image!.channels);
    let centroids: Float32Array;
    if (config.centroids) {
      centroids = readCentroidsFile(isAbsolute(config.centroids) ? config.centroids : resolve(ctx.baseDir, config.centroids), dim);
    } else {
      const sample = image!.sampleTrainImages(config.fitImages, ctx.rng.fork());
      centroids = fitPatchCentroids(sample, { patchSize: grid.patchSize, patchNorm: config.patchNorm }, { k: config.k, seed: ctx.rng.nextU32() >>> 1 });
    }
    return new MaskedPatchMethod(ctx.key, config, ctx.encoder, grid, image!.channels, centroids, ctx.rng);
  },
};
