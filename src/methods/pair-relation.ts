import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../nn/module.ts';
import { Linear } from '../nn/linear.ts';
import type { Batch } from '../data/source.ts';
import type { Encoder } from '../models/encoder.ts';
import type { Rng } from '../util/rng.ts';
import type { EncoderInput, LossContext, LossOutput, Method } from './method.ts';
import type { LossResult } from './losses/ops.ts';

/**
 * "Where is view B relative to view A": one method for the temporal gap of two audio segments and the
 * relative position of two image patches (DESIGN.md: one idea, two samplers). A `PairSampler` cuts two
 * views out of each item of a batch and says how they are placed; the shared encoder embeds both (one
 * forward of the 2N views, mean over the output frames or positions); a small head reads the pair and a
 * `PairTarget` turns the placements into labels and a loss (gap bins, a regressed gap, one of 8
 * neighbours...). What the head reads (`PairHeadInput`):
 * - `concat`: [e_A, e_B], ordered, so the head can tell before from after (what an order-aware target or
 *   the 8 neighbours need);
 * - `symmetric`: [|e_A - e_B|, e_A * e_B], the same whichever view is first, for an order-blind target
 *   (gap bins without order): the head cannot learn a function of the order that the label lacks.
 */
export type PairHeadInput = 'concat' | 'symmetric';

export interface ViewPair {
  /** The first views as one encoder input [N, ...]. */
  first: EncoderInput;
  /** The second views, same shape as `first`. */
  second: EncoderInput;
  /** Number of pairs N. */
  count: number;
  /** Placement of the second view relative to the first, `offsetDims` numbers per pair, row-major. */
  offsets: Float32Array;
  /** Batch row each pair was cut from. */
  sources: Int32Array;
}

export interface PairSampler<B extends Batch = Batch> {
  /** Batch kind the sampler cuts views from (`sequence`, `image`). */
  readonly batchKind: string;
  /** Numbers per placement (1 for a signed time offset, 2 for a (row, col) offset). */
  readonly offsetDims: number;
  /** Draws the pairs of one batch; creates tensors (call inside a tidy or gradient scope). May give none. */
  sample(batch: B, rng: Rng): ViewPair;
  /** Why a batch gave no pair (for the warning). */
  describeEmpty(batch: B): string;
}

export interface PairTarget {
  /** Outputs the head must give (classes, or 1 for a regressed value). */
  readonly outputs: number;
  /** The loss of head outputs [N, outputs] for the pairs' placements. */
  loss(predictions: tf.Tensor2D, pairs: ViewPair): LossResult;
}

/** Mean of each view's output over its frames (or positions), [N, D]; a [N, D] output passes through. */
function pooled(x: tf.Tensor): tf.Tensor2D {
  return (x.rank === 2 ? x : tf.mean(tf.reshape(x, [x.shape[0], -1, x.shape[x.rank - 1]]), 1)) as tf.Tensor2D;
}

function concatInputs(a: EncoderInput, b: EncoderInput): EncoderInput {
  const x = tf.concat([a.x, b.x], 0);
  if (!a.paddingMask || !b.paddingMask) return { x };
  return { x, paddingMask: tf.concat([a.paddingMask, b.paddingMask], 0) as tf.Tensor2D };
}

export class PairRelationMethod<B extends Batch = Batch> extends Module implements Method<B> {
  readonly accepts: readonly string[];
  readonly hidden: Linear | null;
  readonly output: Linear;

  constructor(
    readonly name: string,
    private readonly key: string,
    readonly sampler: PairSampler<B>,
    readonly target: PairTarget,
    encoder: Encoder,
    headHidden: number,
    rng: Rng,
    readonly headInput: PairHeadInput = 'concat',
  ) {
    super();
    this.accepts = [sampler.batchKind];
    const inDim = 2 * encoder.outputDim;
    this.hidden = headHidden > 0 ? this.child('head.0', new Linear(inDim, headHidden, { rng: rng.fork() })) : null;
    this.output = this.child(headHidden > 0 ? 'head.2' : 'head.0', new Linear(headHidden > 0 ? headHidden : inDim, target.outputs, { rng: rng.fork() }));
  }

  parameters(): Map<string, tf.Variable> {
    return this.namedParameters(`${this.key}.`);
  }

  /** Head outputs [N, outputs] for embeddings of the first and second views, [N, D] each. */
  predict(first: tf.Tensor2D, second: tf.Tensor2D): tf.Tensor2D {
    let h: tf.Tensor = this.headInput === 'symmetric' ? tf.concat([tf.abs(tf.sub(first, second)), tf.mul(first, second)], 1) : tf.concat([first, second], 1);
    if (this.hidden) h = tf.relu(this.hidden.forward(h));
    return this.output.forward(h) as tf.Tensor2D;
  }

  private warned = false;

  /**
   * A batch without pairs adds nothing: a zero loss tied to the head (so the gradient exists and is 0 in
   * a run where this is the only method), a warning once. Logged means then count the step as 0 pairs.
   */
  private emptyLoss(batch: B): LossOutput {
    if (!this.warned) process.emitWarning(`${this.name} (${this.key}): ${this.sampler.describeEmpty(batch)}; such batches add no loss`);
    this.warned = true;
    const zero = tf.mul(tf.sum(this.output.weight), 0) as tf.Scalar;
    return { loss: zero, metrics: { pairs: 0 } };
  }

  loss(batch: B, ctx: LossContext): LossOutput {
    const pairs = this.sampler.sample(batch, ctx.rng);
    if (pairs.count === 0) return this.emptyLoss(batch);
    const input = concatInputs(pairs.first, pairs.second);
    const out = ctx.encoder.forward(input.x, { paddingMask: input.paddingMask, maxLayer: ctx.layer });
    const rep = ctx.layer !== undefined ? out.hidden[ctx.layer] : out.output;
    if (!rep) throw new Error(`${this.name}: layer ${ctx.layer} asked, the encoder returned ${out.hidden.length} hidden states`);
    const e = pooled(rep);
    const n = pairs.count;
    const d = e.shape[1];
    const first = tf.slice(e, [0, 0], [n, d]) as tf.Tensor2D;
    const second = tf.slice(e, [n, 0], [n, d]) as tf.Tensor2D;
    const res = this.target.loss(this.predict(first, second), pairs);
    const metrics: Record<string, number> = { pairs: n };
    for (const [k, v] of Object.entries(res.metrics)) if (k !== 'loss') metrics[k] = v;
    return { loss: res.loss, metrics };
  }
}
