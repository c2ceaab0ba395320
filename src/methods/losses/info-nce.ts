import * as tf from '@tensorflow/tfjs-core';
import type { NegativeIndices } from '../negatives.ts';
import { gatherFlat, rowAccuracy, rowCrossEntropy, scalarValue, type LossResult } from './ops.ts';

/**
 * InfoNCE (van den Oord et al. 2018, eq. 4) over sampled negatives, from a score matrix:
 *
 *   L = -(1/A) sum_a log exp(s(a, pos_a)) / (exp(s(a, pos_a)) + sum_k exp(s(a, neg_{a,k})))
 *
 * `scores` [A, N] holds s(a, j) for every anchor a and candidate j (a dot product for CPC, a cosine over
 * a temperature for wav2vec 2.0); only the 1 + K entries per row that are used are gathered, so the
 * gradient reaches exactly the positive and the sampled negatives. Negatives flagged in `excluded` get
 * a logit of -inf (fairseq's treatment of a distractor identical to the positive). With K negatives and
 * equal scores the loss is log(K + 1); a perfect predictor drives it to 0 with accuracy 1.
 * Accuracy: the positive's logit strictly above every negative's.
 */
export interface InfoNceInput {
  /** s(a, j), [A, N]; or [R, N] with `rows` saying which row belongs to each anchor. */
  scores: tf.Tensor2D;
  /** Row of `scores` for each anchor, [A] (default: row a for anchor a). */
  rows?: ArrayLike<number>;
  /** Candidate index of each anchor's positive, [A]. */
  positive: ArrayLike<number>;
  negatives: NegativeIndices;
  /** [A * K] flags: 1 = this negative is excluded (logit -inf). */
  excluded?: Uint8Array;
}

export interface InfoNceOutput extends LossResult {
  /** [A, 1 + K] logits, positive first (kept only when `keepLogits` is set; the caller disposes). */
  logits?: tf.Tensor2D;
}

export function infoNceFromScores(input: InfoNceInput, keepLogits = false): InfoNceOutput {
  const [r, n] = input.scores.shape;
  const { negatives: neg } = input;
  const k = neg.numNegatives;
  const a = input.positive.length;
  const rows = input.rows ?? Int32Array.from({ length: a }, (_, i) => i);
  if (rows.length !== a || neg.numAnchors !== a) throw new Error(`infoNCE: ${a} positives, ${rows.length} anchor rows, ${neg.numAnchors} negative rows`);
  for (let i = 0; i < a; i++) if (!(rows[i] >= 0 && rows[i] < r)) throw new Error(`infoNCE: anchor ${i} reads score row ${rows[i]} of ${r}`);
  if (input.excluded && input.excluded.length !== a * k) throw new Error(`infoNCE: ${input.excluded.length} exclusion flags for ${a} x ${k} negatives`);
  const flat = new Int32Array(a * (k + 1));
  for (let i = 0; i < a; i++) {
    const base = rows[i] * n;
    flat[i * (k + 1)] = base + input.positive[i];
    for (let j = 0; j < k; j++) flat[i * (k + 1) + 1 + j] = base + neg.indices[i * k + j];
  }
  const targets = new Int32Array(a); // the positive sits in column 0
  const metrics: Record<string, number> = {};
  let kept: tf.Tensor2D | undefined;
  const loss = tf.tidy(() => {
    let logits = tf.reshape(gatherFlat(input.scores, flat), [a, k + 1]) as tf.Tensor2D;
    if (input.excluded) {
      const mask = new Uint8Array(a * (k + 1));
      for (let i = 0; i < a; i++) for (let j = 0; j < k; j++) mask[i * (k + 1) + 1 + j] = input.excluded[i * k + j];
      const m = tf.tensor2d(mask, [a, k + 1], 'bool');
      logits = tf.where(m, tf.fill([a, k + 1], -Infinity), logits) as tf.Tensor2D;
    }
    const l = tf.mean(rowCrossEntropy(logits, targets)) as tf.Scalar;
    metrics.loss = scalarValue(l);
    metrics.acc = rowAccuracy(logits, targets);
    if (keepLogits) kept = tf.keep(logits);
    return l;
  });
  return { loss, metrics, logits: kept };
}
