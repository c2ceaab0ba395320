import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.ts';
import { Rng } from '../util/rng.ts';

/**
 * Inverted dropout with a seeded generator: in training each element is zeroed with probability `p`
 * and the rest scaled by 1/(1-p); in evaluation it is the identity. The mask is drawn from the module's
 * own `Rng`, so training is deterministic for a seed and the generator's state can be checkpointed
 * (`rng.getState()`).
 */
export function dropout(x: tf.Tensor, p: number, rng: Rng): tf.Tensor {
  if (p <= 0) return x;
  if (p >= 1) return tf.zerosLike(x);
  const n = x.size;
  const mask = new Float32Array(n);
  const scale = 1 / (1 - p);
  for (let i = 0; i < n; i++) mask[i] = rng.next() < p ? 0 : scale;
  return tf.tidy(() => tf.mul(x, tf.tensor(mask, x.shape, 'float32')));
}

export class Dropout extends Module {
  constructor(readonly p: number, readonly rng: Rng = new Rng(0)) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: p must be in [0, 1], got ${p}`);
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.training ? dropout(x, this.p, this.rng) : x;
  }
}
