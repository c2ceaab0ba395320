import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readdirSync } from 'node:fs';
import { initBackend } from '../../src/engine/backend.ts';
import { Rng } from '../../src/util/rng.ts';

/** The backends every test of this area runs on. */
export const BACKENDS = ['cpu', 'wasm'] as const;
export type TestBackend = (typeof BACKENDS)[number];

/**
 * tfjs-core's Node bundle ships the autodiff engine but registers no op gradients (the union
 * `@tensorflow/tfjs` package does that). Until the engine layer registers them, tests load the
 * per-op gradient configs from tfjs-core's ESM files and register each one that is missing.
 */
async function ensureGradients(): Promise<void> {
  if (tf.getGradient('Sum')) return;
  const dir = join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-core')), 'gradients');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('_grad.js'))) {
    let mod: Record<string, unknown>;
    try {
      mod = (await import(`@tensorflow/tfjs-core/dist/gradients/${file}`)) as Record<string, unknown>;
    } catch {
      continue; // Prod_grad.js has an import Node's ESM resolver refuses; no loss here uses Prod.
    }
    for (const v of Object.values(mod)) {
      const cfg = v as tf.GradConfig;
      if (cfg && typeof cfg.kernelName === 'string' && !tf.getGradient(cfg.kernelName)) tf.registerGradient(cfg);
    }
  }
}

export async function useBackend(name: TestBackend): Promise<void> {
  await ensureGradients();
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
