import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { distilHubertLoss } from '../../../src/methods/losses/distill.ts';
import { BACKENDS, checkGradients, randn, useBackend } from '../setup.ts';

const near = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
const logSigmoid = (x: number) => -Math.log(1 + Math.exp(-x));

for (const backend of BACKENDS) {
  describe(`DistilHuBERT loss (${backend})`, () => {
    before(() => useBackend(backend));

    test('hand values per layer, summed over layers', () => {
      // layer 0: prediction [1, 0] vs target [0, 1]: L1 = (1 + 1)/2 = 1, cos 0 -> -log sigmoid(0) = log 2
      // layer 1: prediction = target = [3, 4]: L1 0, cos 1 -> -log sigmoid(1)
      const out = distilHubertLoss([tf.tensor3d([1, 0], [1, 1, 2]), tf.tensor3d([3, 4], [1, 1, 2])], [tf.tensor3d([0, 1], [1, 1, 2]), tf.tensor3d([3, 4], [1, 1, 2])]);
      near(out.metrics.loss_0, 1 + Math.log(2), 1e-6, 'layer 0');
      near(out.metrics.loss_1, -logSigmoid(1), 1e-6, 'layer 1');
      near(out.loss.dataSync()[0], 1 + Math.log(2) - logSigmoid(1), 1e-6, 'total');
      near(out.metrics.cos_0, 0, 1e-7, 'cos 0');
      near(out.metrics.cos_1, 1, 1e-6, 'cos 1');
      // weights: lambda 2, L1 weight 0.5
      const w = distilHubertLoss([tf.tensor3d([1, 0], [1, 1, 2])], [tf.tensor3d([0, 1], [1, 1, 2])], { cosineWeight: 2, l1Weight: 0.5 });
      near(w.loss.dataSync()[0], 0.5 + 2 * Math.log(2), 1e-6, 'weighted');
    });

    test('padding frames ignored; finite-difference gradient; teacher gets none', () => {
      // Two frames, the second padding with huge values.
      const p = tf.tensor3d([1, 0, 1e6, -1e6], [1, 2, 2]);
      const t = tf.tensor3d([0, 1, 5, 5], [1, 2, 2]);
      near(distilHubertLoss([p], [t], {}, [1, 0]).loss.dataSync()[0], 1 + Math.log(2), 1e-6, 'real frame only');
      const tgt = randn([2, 3, 4], 2);
      checkGradients((x) => distilHubertLoss([x], [tgt], {}, [1, 1, 0, 1, 1, 1]).loss, [randn([2, 3, 4], 1)], { samples: 12 });
      const g = tf.grads((x: tf.Tensor, y: tf.Tensor) => distilHubertLoss([x], [y]).loss)([randn([2, 3, 4], 1), tgt]);
      assert.equal(tf.max(tf.abs(g[1])).dataSync()[0], 0);
      assert.throws(() => distilHubertLoss([p], []), /1 predictions for 0 targets/);
    });
  });
}
