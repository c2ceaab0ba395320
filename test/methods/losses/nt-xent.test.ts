import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { ntXentLoss } from '../../../src/methods/losses/nt-xent.ts';
import { BACKENDS, checkGradients, randn, useBackend } from '../setup.ts';

const near = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

/** NT-Xent in float64 straight from the paper's formula, for comparison. */
function reference(v1: number[][], v2: number[][], tau: number): number {
  const z = [...v1, ...v2].map((r) => {
    const n = Math.hypot(...r);
    return r.map((x) => x / n);
  });
  const n2 = z.length;
  const sim = (i: number, j: number) => z[i].reduce((s, x, d) => s + x * z[j][d], 0) / tau;
  let total = 0;
  for (let i = 0; i < n2; i++) {
    const j = (i + n2 / 2) % n2;
    let denom = 0;
    for (let k = 0; k < n2; k++) if (k !== i) denom += Math.exp(sim(i, k));
    total += -Math.log(Math.exp(sim(i, j)) / denom);
  }
  return total / n2;
}

for (const backend of BACKENDS) {
  describe(`NT-Xent (${backend})`, () => {
    before(() => useBackend(backend));

    test('constructed pair: two images, views identical, images orthogonal: log(1 + 2 exp(-1/tau))', () => {
      const v = tf.tensor2d([[1, 0], [0, 1]]);
      const out = ntXentLoss(v, v, { temperature: 0.5 });
      near(out.loss.dataSync()[0], Math.log(1 + 2 * Math.exp(-2)), 1e-6, 'loss');
      assert.equal(out.metrics.acc, 1);
    });

    test('all views identical: log(2N - 1), accuracy 0', () => {
      const v = tf.ones([3, 4]) as tf.Tensor2D;
      const out = ntXentLoss(v, v);
      near(out.loss.dataSync()[0], Math.log(5), 1e-5, 'loss');
      assert.equal(out.metrics.acc, 0);
    });

    test('matches the float64 formula on arbitrary views; finite-difference gradients', () => {
      const v1 = [[1, 2, 0.5], [-1, 0.3, 2], [0.2, -0.7, 1]];
      const v2 = [[0.8, 2.2, 0.1], [1, 1, 1], [0.3, -0.5, 1.4]];
      const out = ntXentLoss(tf.tensor2d(v1), tf.tensor2d(v2), { temperature: 0.2 });
      near(out.loss.dataSync()[0], reference(v1, v2, 0.2), 1e-5, 'loss');
      checkGradients((a, b) => ntXentLoss(a as tf.Tensor2D, b as tf.Tensor2D, { temperature: 0.5 }).loss, [randn([3, 3], 1), randn([3, 3], 2)], { samples: 9 });
      assert.throws(() => ntXentLoss(tf.ones([2, 3]) as tf.Tensor2D, tf.ones([3, 3]) as tf.Tensor2D), /differ/);
    });
  });
}
