import * as tf from '@tensorflow/tfjs-core';

/**
 * wav2vec 2.0's diversity loss (Baevski et al. 2020, eq. 4): with p̄_g the softmax over the V entries
 * of codebook g averaged over the frames of a batch (no Gumbel noise),
 *
 *   paper:   L_d = (1 / GV) sum_g -H(p̄_g)
 *   fairseq: L_d = (GV - sum_g exp(H(p̄_g))) / GV
 *
 * This file implements fairseq's form (the one every released model trained with): the share of the
 * G*V codewords the batch does not use, measured by the perplexity exp(H). Both are minimised by
 * uniform use; fairseq's is bounded in [0, 1). Uniform
 * use of every entry gives perplexity V per group and L_d = 0; every frame on one entry per group
 * gives perplexity 1 per group and L_d = (GV - G)/GV = 1 - 1/V. The weight in the total loss is 0.1.
 */

/** sum_g exp(-sum_v p log(p + 1e-7)) for averaged probabilities [G, V] (fairseq's prob_perplexity). */
export function codebookPerplexity(avgProbs: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.exp(tf.neg(tf.sum(tf.mul(avgProbs, tf.log(tf.add(avgProbs, 1e-7))), -1)))) as tf.Scalar);
}

/** (numVars - perplexity) / numVars, numVars = G * V. */
export function diversityLoss(perplexity: tf.Scalar, numVars: number): tf.Scalar {
  if (!(numVars > 0)) throw new Error(`diversity loss: numVars must be positive, got ${numVars}`);
  return tf.tidy(() => tf.div(tf.sub(numVars, perplexity), numVars) as tf.Scalar);
}
