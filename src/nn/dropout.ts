import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.ts';
import { Rng } from '../util/rng.ts';

/** The generator of the enclosing `withDropoutStream`, if any. */
let scoped: Rng | null = null;

/**
 * Runs `fn` with every dropout mask inside it (any module, any depth) drawn from `rng`, in call order,
 * instead of from the modules' own generators. The Trainer wraps each method's loss in one, seeded by
 * (run seed, step, micro-batch, method), so the masks are a function of where the run is and a resumed
 * run draws what an uninterrupted one drew (the modules' own generators advance with every step and are
 * not in a checkpoint).
 */
export function withDropoutStream<T>(rng: Rng, fn: () => T): T {
  const outer = scoped;
  scoped = rng;
  try {
    return fn();
  } finally {
    scoped = outer;
  }
}

/**
 * Inverted dropout with a seeded generator: in training each element is zeroed with probability `p`
 * and the rest scaled by 1/(1-p); in evaluation it is the identity. The mask comes from the enclosing
 * `withDropoutStream`'s generator, else from `rng` (the module's own), so training is deterministic for
 * a seed either way.
 */
export function dropout(x: tf.Tensor, p: number, rng: Rng): tf.Tensor {
  if (p <= 0) return x;
  if (p >= 1) return tf.zerosLike(x);
  const source = scoped ?? rng;
  const n = x.size;
  const mask = new Float32Array(n);
  const scale = 1 / (1 - p);
  for (let i = 0; i < n; i++) mask[i] = source.next() < p ? 0 : scale;
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
