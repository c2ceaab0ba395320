import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../nn/module.ts';
import { GRU } from '../nn/gru.ts';
import type { Encoder } from '../models/encoder.ts';
import type { SequenceBatch } from '../data/sequence.ts';
import type { ImageTrainBatch } from '../data/image-batch.ts';
import type { Fields } from '../util/fields.ts';
import type { Rng } from '../util/rng.ts';
import { InputError } from '../util/errors.ts';
import type { LossContext, LossOutput, Method, MethodBuildContext, MethodDefinition } from './method.ts';
import { CpcStepPredictors } from './heads.ts';
import { makeNegativeSampler, type NegativeSampler, type NegativeStrategyConfig } from './negatives.ts';
import { readNegativeStrategy } from './negative-strategy-config.ts';
import { lengthsFromPaddingMask } from './masking.ts';
import { contextIsCausal } from './causality.ts';
import { cpcLoss, CPC_LOSS_DEFAULTS } from './losses/cpc.ts';
import { PatchGridSequences, IMAGE_CPC_GRID_DEFAULTS, readImageCpcGrid, type ImageCpcGridConfig } from './image-cpc.ts';
import { checkPatchInputs } from './patch-encoder-check.ts';

/**
 * Contrastive Predictive Coding (van den Oord et al. 2018; defaults of CPC_audio, Rivière et al. 2020):
 * the encoder's local features are the targets z_t, a causal context network gives c_t, and one linear
 * head per step ahead (W_k, k = 1..steps) scores every candidate z_j against W_k c_t; InfoNCE over the
 * positive z_{t+k} and `numNegatives` negatives drawn by the `negatives` strategy (see
 * negative-strategy-config.ts; CPC_audio draws anywhere in the batch).
 *
 * The context network (`context`):
 * - `encoder`: the encoder's own context output (or `hidden[layer]` when the run gives a layer). It must
 *   be causal (the CPC encoder's GRU/LSTM); a transformer sees z_{t+k} and is refused.
 * - `gru`: a GRU the method owns (`contextDim` wide, `contextLayers` deep) over the encoder's local
 *   features, for encoders whose context is not causal (the shared transformer of a joint run: CPC then
 *   trains the encoder's local feature network, the other methods its transformer).
 * - `auto` (default): `encoder` when the encoder's context is causal, else `gru` (probed once at build).
 * The encoder's plain forward is shared with the other methods of the run.
 *
 * On image data (`data.kind: image`) the same class reads its sequences from a patch grid instead
 * (`PatchGridSequences`, image-cpc.ts): a grid of patches read down its rows (`grid`, default a 7x7
 * grid of 8px patches overlapping by half); the context is then always the method's GRU, and `steps`
 * must be below `grid.rows`.
 */
export interface CpcMethodConfig {
  /** Steps ahead predicted (CPC_audio: 12 frames = 120 ms at 10 ms frames). */
  steps: number;
  /** Negatives per anchor and step (CPC_audio: 128). */
  numNegatives: number;
  /** Mean (default) or sum (CPC_audio) of the per-step losses. */
  stepReduction: 'mean' | 'sum';
  negatives: NegativeStrategyConfig;
  context: 'auto' | 'encoder' | 'gru';
  /** Width of the method's own GRU (`context: gru`; CPC_audio's hidden size 256). */
  contextDim: number;
  contextLayers: number;
  /** The patch grid, for image data only (absent: IMAGE_CPC_GRID_DEFAULTS). */
  grid?: ImageCpcGridConfig;
}

export const CPC_METHOD_DEFAULTS: CpcMethodConfig = {
  steps: 12,
  numNegatives: CPC_LOSS_DEFAULTS.numNegatives,
  stepReduction: CPC_LOSS_DEFAULTS.stepReduction,
  negatives: { kind: 'batch' },
  context: 'auto',
  contextDim: 256,
  contextLayers: 1,
};

export class CpcMethod extends Module implements Method<SequenceBatch | ImageTrainBatch> {
  readonly name = 'cpc';
  readonly accepts: readonly string[];
  readonly predictors: CpcStepPredictors;
  /** The method's own context network (`context: gru`, and always on patch grids), else null. */
  readonly contextNetwork: GRU | null;
  readonly sampler: NegativeSampler;

  /**
   * `patches` given: the sequences are patch grids of image batches (the context is then the method's
   * GRU); absent: the encoder's frames of sequence batches.
   */
  constructor(
    private readonly key: string,
    readonly config: CpcMethodConfig,
    encoder: Encoder,
    ownContext: boolean,
    rng: Rng,
    readonly patches: PatchGridSequences | null = null,
  ) {
    super();
    if (patches && !ownContext) throw new Error('cpc: a patch grid has no encoder context over its rows; the method needs its own GRU');
    this.accepts = patches ? ['image'] : ['sequence'];
    const zDim = patches ? encoder.outputDim : (encoder.featureDim ?? encoder.outputDim);
    this.contextNetwork = ownContext ? this.child('context', new GRU(zDim, config.contextDim, { numLayers: config.contextLayers, rng: rng.fork() })) : null;
    const cDim = ownContext ? config.contextDim : encoder.outputDim;
    this.predictors = this.child('predictors', new CpcStepPredictors(cDim, zDim, config.steps, rng.fork()));
    this.sampler = makeNegativeSampler(config.negatives);
  }

  parameters(): Map<string, tf.Variable> {
    return this.namedParameters(`${this.key}.`);
  }

  loss(batch: SequenceBatch | ImageTrainBatch, ctx: LossContext): LossOutput {
    const { z, context, lengths } = this.patches ? this.gridSequences(batch as ImageTrainBatch, ctx) : this.frameSequences(ctx);
    const res = cpcLoss({ context, encoded: z, lengths }, this.predictors, this.sampler, ctx.rng, { numNegatives: this.config.numNegatives, stepReduction: this.config.stepReduction });
    const metrics: Record<string, number> = { acc: res.metrics.acc };
    for (let k = 1; k <= this.config.steps; k++) metrics[`acc_${k}`] = res.metrics[`acc_${k}`];
    return { loss: res.loss, metrics };
  }

  /** Targets z and context c over the encoder's frames (the run's shared forward). */
  private frameSequences(ctx: LossContext): { z: tf.Tensor3D; context: tf.Tensor3D; lengths: Int32Array } {
    const out = ctx.sharedForward();
    const z = out.features;
    const [B, T] = z.shape;
    const lengths = out.paddingMask ? lengthsFromPaddingMask(out.paddingMask.dataSync(), B, T) : new Int32Array(B).fill(T);
    let context: tf.Tensor3D;
    if (this.contextNetwork) context = this.contextNetwork.forward(z, out.paddingMask).output;
    else if (ctx.layer !== undefined) {
      const h = out.hidden[ctx.layer];
      if (!h) throw new Error(`cpc: layer ${ctx.layer} asked, the encoder returned ${out.hidden.length} hidden states`);
      context = h;
    } else context = out.output;
    return { z, context, lengths };
  }

  /** Targets z down the rows of each image's patch grid, and the method's GRU over them. */
  private gridSequences(batch: ImageTrainBatch, ctx: LossContext): { z: tf.Tensor3D; context: tf.Tensor3D; lengths: undefined } {
    const z = this.patches!.sequences(batch, ctx);
    return { z, context: this.contextNetwork!.forward(z).output, lengths: undefined };
  }
}

function readCpcConfig(f: Fields): CpcMethodConfig {
  const d = CPC_METHOD_DEFAULTS;
  const c: CpcMethodConfig = {
    steps: f.int('steps', d.steps, { min: 1 }),
    numNegatives: f.int('numNegatives', d.numNegatives, { min: 1 }),
    stepReduction: f.choice('stepReduction', ['mean', 'sum'] as const, d.stepReduction),
    negatives: readNegativeStrategy(f, d.negatives),
    context: f.choice('context', ['auto', 'encoder', 'gru'] as const, d.context),
    contextDim: f.int('contextDim', d.contextDim, { min: 1 }),
    contextLayers: f.int('contextLayers', d.contextLayers, { min: 1 }),
  };
  if (f.has('grid')) c.grid = readImageCpcGrid(f.object('grid'));
  f.done();
  return c;
}

export const cpcDefinition: MethodDefinition<CpcMethodConfig> = {
  readConfig: readCpcConfig,
  create(config: CpcMethodConfig, ctx: MethodBuildContext): CpcMethod {
    if (ctx.data.image) return createImageCpc(config, ctx);
    if (config.grid) throw new InputError('a patch grid is for image data (data.kind: image); drop it for audio', { field: `method ${ctx.key} (cpc) config.grid` });
    let own = config.context === 'gru';
    if (config.context !== 'gru') {
      const causal = contextIsCausal(ctx.encoder);
      if (!causal && config.context === 'encoder') {
        throw new InputError(
          `the ${ctx.encoder.kind} encoder's context network is not causal (its output at frame t changes with later frames), so c_t would see the z_{t+k} it predicts; use context: gru (or auto)`,
          { field: `method ${ctx.key} (cpc) config.context` },
        );
      }
      own = !causal;
    }
    if (own && ctx.layer !== undefined) throw new InputError(`layer ${ctx.layer} is read from the encoder's context, but this cpc uses its own GRU over the local features; drop the layer or use a causal encoder`, { field: `method ${ctx.key} (cpc) layer` });
    return new CpcMethod(ctx.key, config, ctx.encoder, own, ctx.rng);
  },
};

function createImageCpc(config: CpcMethodConfig, ctx: MethodBuildContext): CpcMethod {
  const where = `method ${ctx.key} (cpc) config`;
  const grid = config.grid ?? IMAGE_CPC_GRID_DEFAULTS;
  checkPatchInputs(`method ${ctx.key} (cpc)`, ctx.encoder, ctx.data.image, grid, `${where}.grid`);
  if (config.context === 'encoder') throw new InputError('the encoder has no row axis over the patch grid; image CPC runs its own GRU down the rows (context: gru or auto)', { field: `${where}.context` });
  if (!(config.steps < grid.rows)) throw new InputError(`${config.steps} steps ahead, but the grid has ${grid.rows} rows: at most ${grid.rows - 1} (set steps or grid.rows)`, { field: `${where}.steps` });
  return new CpcMethod(ctx.key, config, ctx.encoder, true, ctx.rng, new PatchGridSequences(grid));
}
