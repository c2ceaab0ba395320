import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.ts';
import { Rng } from '../../src/util/rng.ts';

/** The backends every test of this area runs on. */
export const BACKENDS = ['cpu', 'wasm'] as const;
export type TestBackend = (typeof BACKENDS)[number];

/** The backend, with the engine's gradients and kernels (initBackend registers both). */
export async function useBackend(name: TestBackend): Promise<void> {
  await initBackend(name);
}

export interface GradCheckOptions {
  /** Finite-difference step. */
  eps?: number;
  rtol?: number;
  atol?: number;
  /** Coordinates checked per input (randomly chosen, seeded). */
  samples?: number;
  seed?: number;
}

/**
 * Compares tf.grads of `f` with central finite differences at a few random coordinates of every
 * input. Tolerances are float32-aware: with eps 1e-2 and O(1) values, rounding contributes ~1e-5
 * and truncation ~1e-4, so the defaults leave a margin without hiding a wrong gradient.
 */
export function checkGradients(f: (...xs: tf.Tensor[]) => tf.Scalar, inputs: tf.Tensor[], opts: GradCheckOptions = {}): void {
  const { eps = 1e-2, rtol = 2e-2, atol = 2e-3, samples = 6, seed = 1 } = opts;
  const rng = new Rng(seed);
  const analytic = tf.tidy(() => tf.grads((...xs: tf.Tensor[]) => f(...xs))(inputs));
  const values = inputs.map((x) => Float32Array.from(x.dataSync()));
  const evalAt = (which: number, data: Float32Array): number =>
    tf.tidy(() => {
      const xs = inputs.map((x, i) => (i === which ? tf.tensor(data, x.shape) : x));
      return f(...xs).dataSync()[0];
    });
  for (let i = 0; i < inputs.length; i++) {
    const g = analytic[i].dataSync();
    const n = values[i].length;
    const coords = n <= samples ? Array.from({ length: n }, (_, k) => k) : rng.permutation(n).slice(0, samples);
    for (const c of coords) {
      const plus = Float32Array.from(values[i]);
      const minus = Float32Array.from(values[i]);
      plus[c] += eps;
      minus[c] -= eps;
      const numeric = (evalAt(i, plus) - evalAt(i, minus)) / (2 * eps);
      const err = Math.abs(numeric - g[c]);
      if (!(err <= atol + rtol * Math.max(Math.abs(numeric), Math.abs(g[c])))) {
        throw new Error(`gradient mismatch: input ${i} coordinate ${c}: analytic ${g[c]}, finite difference ${numeric}`);
      }
    }
  }
  analytic.forEach((t) => t.dispose());
}

/** Seeded normal tensor. */
export function randn(shape: number[], seed: number, std = 1): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(new Rng(seed).normalArray(size, std), shape);
}
