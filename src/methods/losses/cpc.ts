import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../util/rng.ts';
import type { CpcStepPredictors } from '../heads.ts';
import { anchorSimilarity, type NegativeSampler } from '../negatives.ts';
import { infoNceFromScores } from './info-nce.ts';
import type { LossResult } from './ops.ts';

/**
 * CPC's loss (van den Oord et al. 2018, eq. 4; defaults of CPC_audio): for every step k = 1..K and
 * anchor (b, t), the score of candidate z_j is the dot product f_k(j, t) = z_j . (W_k c_t), the
 * positive is z_{b, t+k}, and InfoNCE runs over the positive and `numNegatives` sampled negatives.
 *
 * Anchors are the frames t < length_b - K of each utterance (as CPC_audio's window of seq - K
 * frames), so every step uses the same anchors; candidates are every real frame of the batch, and the
 * sampler decides which of them an anchor may draw (CPC_audio draws anywhere in the batch: strategy
 * `batch`). Negatives are drawn afresh per step, never the step's positive. The loss is the mean over
 * steps of the per-step InfoNCE (CPC_audio sums the steps: set `stepReduction: 'sum'` to match).
 * Metrics: loss, acc (mean over steps), loss_k and acc_k per step.
 */
export interface CpcLossConfig {
  numNegatives: number;
  stepReduction: 'mean' | 'sum';
}

export const CPC_LOSS_DEFAULTS: CpcLossConfig = { numNegatives: 128, stepReduction: 'mean' };

export interface CpcLossInput {
  /** Autoregressive context c, [B, T, C]. */
  context: tf.Tensor3D;
  /** Encoded frames z, [B, T, Z]. */
  encoded: tf.Tensor3D;
  /** Real frames per utterance (default: all T). */
  lengths?: ArrayLike<number>;
}

export function cpcLoss(input: CpcLossInput, predictors: CpcStepPredictors, sampler: NegativeSampler, rng: Rng, config: Partial<CpcLossConfig> = {}): LossResult {
  const c: CpcLossConfig = { ...CPC_LOSS_DEFAULTS, ...config };
  const [b, t, cw] = input.context.shape;
  const [b2, t2, zw] = input.encoded.shape;
  if (b !== b2 || t !== t2) throw new Error(`cpc loss: context [${input.context.shape}] and encoded [${input.encoded.shape}] disagree on batch or time`);
  if (zw !== predictors.targetDim || cw !== predictors.contextDim) throw new Error(`cpc loss: predictors map ${predictors.contextDim} -> ${predictors.targetDim}, inputs have widths ${cw} and ${zw}`);
  const steps = predictors.steps;
  const lengths = input.lengths ?? new Array<number>(b).fill(t);
  if (lengths.length !== b) throw new Error(`cpc loss: ${lengths.length} lengths for a batch of ${b}`);
  const candidateUtterance = new Int32Array(b * t).fill(-1);
  const anchorRow: number[] = [];
  const anchorUtt: number[] = [];
  for (let u = 0; u < b; u++) {
    const len = lengths[u];
    if (!(Number.isInteger(len) && len >= 0 && len <= t)) throw new Error(`cpc loss: length ${len} of utterance ${u} is not an integer in [0, ${t}]`);
    for (let i = 0; i < len; i++) candidateUtterance[u * t + i] = u;
    for (let i = 0; i + steps < len; i++) {
      anchorRow.push(u * t + i);
      anchorUtt.push(u);
    }
  }
  if (anchorRow.length === 0) throw new Error(`cpc loss: no utterance is longer than ${steps} frames, so no step-${steps} prediction has a target`);
  const rows = Int32Array.from(anchorRow);
  const metrics: Record<string, number> = {};
  const loss = tf.tidy(() => {
    const ctx = tf.reshape(input.context, [b * t, cw]) as tf.Tensor2D;
    const z = tf.reshape(input.encoded, [b * t, zw]) as tf.Tensor2D;
    // Only anchor rows are gathered from the scores, so predicting every row costs little and needs no row gather.
    const pred = predictors.predict(ctx);
    const perStep: tf.Scalar[] = [];
    let accSum = 0;
    for (let k = 1; k <= steps; k++) {
      const pk = tf.reshape(tf.slice(pred, [k - 1, 0, 0], [1, b * t, zw]), [b * t, zw]) as tf.Tensor2D;
      const all = tf.matMul(pk, z, false, true) as tf.Tensor2D; // [BT, BT]
      const positive = rows.map((r) => r + k);
      const similarity = sampler.needsSimilarity ? anchorSimilarity(all, rows) : undefined;
      const negatives = sampler.sample({ anchorUtterance: anchorUtt, positive, candidateUtterance, similarity }, c.numNegatives, rng);
      const out = infoNceFromScores({ scores: all, rows, positive, negatives });
      perStep.push(out.loss);
      metrics[`loss_${k}`] = out.metrics.loss;
      metrics[`acc_${k}`] = out.metrics.acc;
      accSum += out.metrics.acc;
    }
    const total = tf.addN(perStep) as tf.Scalar;
    const l = (c.stepReduction === 'sum' ? total : tf.div(total, steps)) as tf.Scalar;
    metrics.loss = l.dataSync()[0];
    metrics.acc = accSum / steps;
    return l;
  });
  return { loss, metrics };
}
