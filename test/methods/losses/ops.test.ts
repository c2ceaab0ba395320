import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { gatherFlat, l2Normalize, rowAccuracy, rowCrossEntropy, stopGradient, weightedMean } from '../../../src/methods/losses/ops.ts';
import { BACKENDS, checkGradients, randn, useBackend } from '../setup.ts';

for (const backend of BACKENDS) {
  describe(`loss ops (${backend})`, () => {
    before(() => useBackend(backend));

    test('gatherFlat picks entries and scatters its gradient back, duplicates summed', () => {
      const x = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
      const idx = Int32Array.from([5, 0, 5, 2]);
      assert.deepEqual(Array.from(gatherFlat(x, idx).dataSync()), [6, 1, 6, 3]);
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gatherFlat(t, idx), tf.tensor1d([1, 10, 100, 1000]))))(x);
      assert.deepEqual(g.shape, [2, 3]);
      assert.deepEqual(Array.from(g.dataSync()), [10, 0, 1000, 0, 0, 101]);
      assert.throws(() => gatherFlat(x, Int32Array.from([6])), /outside \[0, 6\)/);
      tf.dispose([x, g]);
    });

    test('rowCrossEntropy: hand values, -inf entries, ignored rows; finite-difference gradient', () => {
      const logits = tf.tensor2d([[2, 1, 0], [0, -Infinity, 0], [5, 5, 5]]);
      const ce = rowCrossEntropy(logits, [0, 2, -1]).dataSync();
      assert.ok(Math.abs(ce[0] - Math.log(1 + Math.exp(-1) + Math.exp(-2))) < 1e-6);
      assert.ok(Math.abs(ce[1] - Math.log(2)) < 1e-6);
      assert.ok(ce[2] === 0, 'ignored row contributes 0');
      const g = tf.grad((l: tf.Tensor) => tf.sum(rowCrossEntropy(l as tf.Tensor2D, [0, 2, -1])))(logits).dataSync();
      assert.ok(Array.from(g).every(Number.isFinite), 'gradient finite despite -inf logits');
      assert.ok(Array.from(g.slice(6)).every((v) => v === 0), 'ignored row gets no gradient');
      checkGradients((l) => tf.sum(rowCrossEntropy(l as tf.Tensor2D, [1, 0, 3])), [randn([3, 4], 3)]);
      tf.dispose(logits);
    });

    test('weightedMean, rowAccuracy (ties are wrong), l2Normalize', () => {
      assert.equal(weightedMean(tf.tensor1d([1, 2, 3]), [1, 0, 1]).dataSync()[0], 2);
      assert.equal(weightedMean(tf.tensor1d([1, 2, 3]), [0, 0, 0]).dataSync()[0], 0);
      const logits = tf.tensor2d([[1, 0], [1, 1], [0, 1]]);
      assert.equal(rowAccuracy(logits, [0, 0, 1]), 2 / 3);
      assert.equal(rowAccuracy(logits, [0, 0, 1], [0, 1, 0]), 0);
      const n = l2Normalize(tf.tensor2d([[3, 4], [0, 0]])).dataSync();
      assert.deepEqual(Array.from(n), [Math.fround(0.6), Math.fround(0.8), 0, 0]);
    });

    test('stopGradient: identity forward, zero gradient', () => {
      const x = tf.tensor1d([1, 2]);
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.add(tf.mul(stopGradient(t), t), t)))(x);
      // d/dt [sg(t) * t + t] = sg(t) + 1
      assert.deepEqual(Array.from(g.dataSync()), [2, 3]);
    });
  });
}
