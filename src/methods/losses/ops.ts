import * as tf from '@tensorflow/tfjs-core';

/**
 * Small differentiable building blocks shared by the losses. Everything here works (forward and
 * backward) on the cpu and wasm backends; in particular `gatherFlat` carries its own gradient
 * (a scatter-add), because tfjs's gather gradient needs UnsortedSegmentSum, which wasm lacks.
 */

/** What every loss returns: the scalar to differentiate and plain-number metrics for logging. */
export interface LossResult {
  loss: tf.Scalar;
  metrics: Record<string, number>;
}

/** x / max(||x||, eps) along the last axis (PyTorch's F.normalize). */
export function l2Normalize<T extends tf.Tensor>(x: T, eps = 1e-8): T {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.sum(tf.square(x), -1, true));
    return tf.div(x, tf.maximum(norm, eps)) as T;
  });
}

/** Cosine similarity of matching rows along the last axis: [..., D] x [..., D] -> [...]. */
export function rowCosine(a: tf.Tensor, b: tf.Tensor, eps = 1e-8): tf.Tensor {
  return tf.tidy(() => tf.sum(tf.mul(l2Normalize(a, eps), l2Normalize(b, eps)), -1));
}

/**
 * Identity in the forward pass, zero gradient in the backward pass (PyTorch's `.detach()`), for
 * targets computed inside the differentiated function (BYOL's target branch, distillation teachers).
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return withGradient(x, (input) => tf.clone(input), (dy) => tf.zerosLike(dy)) as T;
}

/**
 * `forward(x)` in the forward pass with `backward(dy)` as the gradient with respect to x (for
 * straight-through estimators and gradients tfjs lacks on some backend). `forward` must not keep
 * intermediate tensors it allocates (dispose them or wrap in tf.tidy).
 */
export function withGradient(x: tf.Tensor, forward: (x: tf.Tensor) => tf.Tensor, backward: (dy: tf.Tensor) => tf.Tensor): tf.Tensor {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor;
    return { value: forward(input), gradFunc: (dy: tf.Tensor) => backward(dy) };
  });
  return f(x);
}

/**
 * Picks entries of `x` (any shape) at flat positions `indices`, returning a [indices.length] tensor;
 * the gradient scatters back with duplicates summed. Indices are plain numbers (they come from
 * samplers running on the CPU), so no integer tensor leaks into the differentiated graph.
 */
export function gatherFlat(x: tf.Tensor, indices: Int32Array): tf.Tensor1D {
  const size = x.size;
  for (let i = 0; i < indices.length; i++) {
    const v = indices[i];
    if (!(v >= 0 && v < size)) throw new Error(`gatherFlat: index ${v} at position ${i} is outside [0, ${size})`);
  }
  const shape = x.shape;
  return withGradient(
    x,
    (input) => tf.tidy(() => tf.gather(tf.reshape(input, [size]), tf.tensor1d(indices, 'int32'))),
    (dy) => tf.tidy(() => tf.reshape(tf.scatterND(tf.tensor2d(indices, [indices.length, 1], 'int32'), dy, [size]), shape)),
  ) as tf.Tensor1D;
}

/**
 * Per-row cross-entropy of `logits` [N, C] against integer `targets` [N] (row i's class), as a
 * [N] tensor. Entries of -Infinity in a row are allowed (excluded classes) as long as the target's
 * logit is finite. Rows with a negative target are ignored: their value is 0 and they pass no gradient.
 */
export function rowCrossEntropy(logits: tf.Tensor2D, targets: ArrayLike<number>): tf.Tensor1D {
  const [n, c] = logits.shape;
  if (targets.length !== n) throw new Error(`rowCrossEntropy: ${targets.length} targets for ${n} rows of logits`);
  const t = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = targets[i];
    if (v >= c || !Number.isInteger(v)) throw new Error(`rowCrossEntropy: target ${v} at row ${i} is not a class in [0, ${c})`);
    t[i] = v;
  }
  return tf.tidy(() => {
    const idx = tf.tensor1d(t, 'int32');
    const oneHot = tf.oneHot(idx, c); // a negative target gives an all-zero row
    // Multiply-then-sum would give 0 * -inf = NaN where a logit is excluded; select instead.
    const logp = tf.logSoftmax(logits);
    const picked = tf.where(tf.cast(oneHot, 'bool'), logp, tf.zerosLike(logp));
    return tf.neg(tf.sum(picked, -1)) as tf.Tensor1D;
  });
}

/** sum(values * weights) / sum(weights) for [N] values and N plain-number weights (0 when all weights are 0). */
export function weightedMean(values: tf.Tensor, weights: ArrayLike<number>): tf.Scalar {
  if (values.size !== weights.length) throw new Error(`weightedMean: ${weights.length} weights for ${values.size} values`);
  let total = 0;
  for (let i = 0; i < weights.length; i++) total += weights[i];
  return tf.tidy(() => {
    const w = tf.tensor1d(Float32Array.from(weights));
    const s = tf.sum(tf.mul(tf.reshape(values, [values.size]), w));
    return (total > 0 ? tf.div(s, total) : tf.mul(s, 0)) as tf.Scalar;
  });
}

/**
 * Fraction of rows (among those with weight > 0, default all) whose `target` logit is the strict
 * maximum of its row. Ties count as wrong, as fairseq's wav2vec 2.0 accuracy does (a row of equal
 * logits is not a correct prediction). Returns NaN when no row counts.
 */
export function rowAccuracy(logits: tf.Tensor2D, targets: ArrayLike<number>, weights?: ArrayLike<number>): number {
  const [n, c] = logits.shape;
  const data = logits.dataSync();
  let correct = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (weights && !(weights[i] > 0)) continue;
    const t = targets[i];
    if (t < 0) continue;
    total++;
    const v = data[i * c + t];
    let best = true;
    for (let j = 0; j < c && best; j++) if (j !== t && !(data[i * c + j] < v)) best = false;
    if (best) correct++;
  }
  return total > 0 ? correct / total : NaN;
}

/** Reads a scalar tensor as a number (for metrics). */
export function scalarValue(x: tf.Tensor): number {
  return x.dataSync()[0];
}
