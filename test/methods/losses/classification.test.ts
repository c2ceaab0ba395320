import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { classificationLoss } from '../../../src/methods/losses/classification.ts';
import { regressionLoss } from '../../../src/methods/losses/regression.ts';
import { BACKENDS, checkGradients, randn, useBackend } from '../setup.ts';

const near = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

for (const backend of BACKENDS) {
  describe(`pretext classification and regression (${backend})`, () => {
    before(() => useBackend(backend));

    test('cross-entropy and accuracy by hand; ignored rows', () => {
      // rotation-style 4 classes
      const logits = tf.tensor2d([[2, 1, 0, 0], [0, 0, 3, 0], [9, 9, 9, 9]]);
      const out = classificationLoss(logits, [0, 1, -1]);
      const l0 = Math.log(Math.exp(2) + Math.exp(1) + 2) - 2;
      const l1 = Math.log(3 + Math.exp(3)) - 0;
      near(out.loss.dataSync()[0], (l0 + l1) / 2, 1e-5, 'loss');
      assert.equal(out.metrics.acc, 0.5);
      near(classificationLoss(tf.zeros([5, 8]) as tf.Tensor2D, [0, 1, 2, 3, 7]).loss.dataSync()[0], Math.log(8), 1e-6, 'uniform over 8');
      checkGradients((l) => classificationLoss(l as tf.Tensor2D, [3, 0, 2]).loss, [randn([3, 4], 1)], { samples: 12 });
      assert.throws(() => classificationLoss(logits, [0, 4, 1]), /target 4 at row 1/);
    });

    test('regression: mse, l1, smooth-l1 by hand; gradients', () => {
      const pred = tf.tensor1d([1, 3, -2]);
      const target = [0, 3.5, 1];
      // diffs 1, -0.5, -3
      near(regressionLoss(pred, target).loss.dataSync()[0], (1 + 0.25 + 9) / 3, 1e-6, 'mse');
      const l1 = regressionLoss(pred, target, { kind: 'l1' });
      near(l1.loss.dataSync()[0], 4.5 / 3, 1e-6, 'l1');
      near(l1.metrics.mae, 4.5 / 3, 1e-6, 'mae');
      // smooth-l1, beta 1: |1| -> 0.5, |0.5| -> 0.125, |3| -> 2.5
      near(regressionLoss(pred, target, { kind: 'smooth-l1' }).loss.dataSync()[0], (0.5 + 0.125 + 2.5) / 3, 1e-6, 'smooth-l1');
      for (const kind of ['mse', 'l1', 'smooth-l1'] as const) checkGradients((p) => regressionLoss(p, [0.3, -2, 1.7, 5], { kind }).loss, [tf.tensor2d([[1.1], [0.4], [-0.6], [2]])]);
      assert.throws(() => regressionLoss(pred, [1]), /1 targets for 3 predictions/);
    });
  });
}
