import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../util/rng.ts';

/**
 * Seeded parameter initialisers. Every layer draws its initial values from an `Rng` passed in by the
 * model, so a model built twice from one seed has identical weights on any backend.
 */

/** How a weight matrix is initialised. `torch` = PyTorch's default for Linear/Conv: U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
export type WeightInit = 'torch' | 'xavier' | { normalStd: number };

/**
 * The generator to build a model with when every weight is assigned right after (an imported checkpoint):
 * the initialisers below give zeros without drawing, so building a 95M-parameter model costs no draws.
 */
export class NoInitRng extends Rng {
  override fork(): Rng {
    return new NoInitRng();
  }
}

export function uniform(rng: Rng, shape: number[], bound: number): tf.Tensor {
  if (rng instanceof NoInitRng) return tf.zeros(shape, 'float32');
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = (2 * rng.next() - 1) * bound;
  return tf.tensor(v, shape, 'float32');
}

/** Normal(0, std) values; Box-Muller using both outputs of each pair (half the draws of Rng.normal). */
export function normal(rng: Rng, shape: number[], std: number): tf.Tensor {
  if (rng instanceof NoInitRng) return tf.zeros(shape, 'float32');
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    let u = 0;
    while (u === 0) u = rng.next();
    const r = std * Math.sqrt(-2 * Math.log(u));
    const a = 2 * Math.PI * rng.next();
    v[i] = r * Math.cos(a);
    if (i + 1 < n) v[i + 1] = r * Math.sin(a);
  }
  return tf.tensor(v, shape, 'float32');
}

export function constant(shape: number[], value: number): tf.Tensor {
  return tf.fill(shape, value, 'float32');
}

/** A weight of `shape` with fan-in `fanIn` and fan-out `fanOut`, initialised per `init`. */
export function initWeight(rng: Rng, shape: number[], fanIn: number, fanOut: number, init: WeightInit): tf.Tensor {
  if (init === 'torch') return uniform(rng, shape, 1 / Math.sqrt(Math.max(1, fanIn)));
  if (init === 'xavier') return uniform(rng, shape, Math.sqrt(6 / Math.max(1, fanIn + fanOut)));
  return normal(rng, shape, init.normalStd);
}

/** PyTorch's default bias: U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
export function initBias(rng: Rng, size: number, fanIn: number): tf.Tensor {
  return uniform(rng, [size], 1 / Math.sqrt(Math.max(1, fanIn)));
}
