import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { byolLoss, byolSymmetricLoss, normalizedEmbeddingStd } from '../../../src/methods/losses/byol.ts';
import { BACKENDS, checkGradients, randn, useBackend } from '../setup.ts';

const near = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

for (const backend of BACKENDS) {
  describe(`BYOL loss (${backend})`, () => {
    before(() => useBackend(backend));

    test('identical directions 0, orthogonal 2, opposite 4, scale-invariant', () => {
      const p = tf.tensor2d([[1, 2, 3], [0, 1, 0], [2, 0, 0]]);
      near(byolLoss(p, tf.mul(p, 5) as tf.Tensor2D).dataSync()[0], 0, 1e-6, 'identical');
      near(byolLoss(tf.tensor2d([[1, 0], [0, 3]]), tf.tensor2d([[0, 2], [7, 0]])).dataSync()[0], 2, 1e-6, 'orthogonal');
      near(byolLoss(tf.tensor2d([[1, 1]]), tf.tensor2d([[-2, -2]])).dataSync()[0], 4, 1e-6, 'opposite');
      // 60 degrees: 2 - 2 cos = 1; mean with an identical row: 0.5
      near(byolLoss(tf.tensor2d([[1, 0], [1, 0]]), tf.tensor2d([[0.5, Math.sqrt(3) / 2], [1, 0]])).dataSync()[0], 0.5, 1e-6, '60 degrees');
    });

    test('symmetric loss sums both directions; the target gets no gradient', () => {
      const [p1, p2, z1, z2] = [randn([4, 3], 1), randn([4, 3], 2), randn([4, 3], 3), randn([4, 3], 4)] as tf.Tensor2D[];
      const out = byolSymmetricLoss(p1, p2, z1, z2);
      near(out.loss.dataSync()[0], byolLoss(p1, z2).dataSync()[0] + byolLoss(p2, z1).dataSync()[0], 1e-5, 'sum');
      const g = tf.grads((p: tf.Tensor, z: tf.Tensor) => byolLoss(p as tf.Tensor2D, z as tf.Tensor2D))([p1, z1]);
      assert.ok(tf.max(tf.abs(g[0])).dataSync()[0] > 1e-3);
      assert.equal(tf.max(tf.abs(g[1])).dataSync()[0], 0, 'stop-gradient on the target');
      checkGradients((p) => byolLoss(p as tf.Tensor2D, z2), [p1], { samples: 12 });
    });

    test('collapse monitor: 0 when collapsed, 1/sqrt(D) for an orthonormal batch', () => {
      assert.equal(normalizedEmbeddingStd(tf.ones([5, 4]) as tf.Tensor2D), 0);
      near(normalizedEmbeddingStd(tf.mul(tf.eye(8), 3) as tf.Tensor2D), 1 / Math.sqrt(8), 1e-6, 'orthonormal');
    });
  });
}
