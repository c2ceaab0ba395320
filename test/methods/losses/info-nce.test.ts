import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { infoNceFromScores } from '../../../src/methods/losses/info-nce.ts';
import { BACKENDS, checkGradients, randn, useBackend } from '../setup.ts';

const near = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

for (const backend of BACKENDS) {
  describe(`infoNCE (${backend})`, () => {
    before(() => useBackend(backend));

    test('equal scores give log(K + 1) and accuracy 0 (ties are not correct)', () => {
      const k = 7;
      const scores = tf.fill([3, 10], 0.3) as tf.Tensor2D;
      const negatives = { numAnchors: 3, numNegatives: k, indices: Int32Array.from({ length: 3 * k }, (_, i) => 1 + (i % 9)) };
      const out = infoNceFromScores({ scores, positive: [0, 0, 0], negatives });
      near(out.loss.dataSync()[0], Math.log(k + 1), 1e-5, 'loss');
      assert.equal(out.metrics.acc, 0);
      tf.dispose([scores, out.loss]);
    });

    test('a perfect predictor gives a loss near 0 and accuracy 1', () => {
      // Candidates are orthonormal; each prediction is 30 times its positive: positive score 30, negatives 0.
      const n = 8;
      const cand = tf.eye(n);
      const pos = [3, 5, 0];
      const pred = tf.mul(tf.oneHot(tf.tensor1d(pos, 'int32'), n), 30);
      const scores = tf.matMul(pred, cand, false, true) as tf.Tensor2D;
      const k = 6;
      const idx = new Int32Array(3 * k);
      for (let a = 0; a < 3; a++) for (let j = 0, c = 0; j < k; c++) if (c !== pos[a]) idx[a * k + j++] = c;
      const out = infoNceFromScores({ scores, positive: pos, negatives: { numAnchors: 3, numNegatives: k, indices: idx } });
      const expected = Math.log(1 + k * Math.exp(-30)); // 5.6e-13
      near(out.loss.dataSync()[0], expected, 1e-6, 'loss');
      assert.equal(out.metrics.acc, 1);
    });

    test('hand-computed case, excluded negatives, anchor rows', () => {
      // anchor 0 on row 1: positive score 1, negatives 0 and 2  -> -log(e / (e + 1 + e^2))
      // anchor 1 on row 0: positive 3, negatives 3 (excluded) and -1 -> -log(e^3 / (e^3 + e^-1))
      const scores = tf.tensor2d([[3, 3, -1, 9], [0, 1, 2, 9]]);
      const negatives = { numAnchors: 2, numNegatives: 2, indices: Int32Array.from([0, 2, 1, 2]) };
      const out = infoNceFromScores({ scores, rows: [1, 0], positive: [1, 0], negatives, excluded: Uint8Array.from([0, 0, 1, 0]) }, true);
      const l0 = -Math.log(Math.E / (Math.E + 1 + Math.E ** 2));
      const l1 = -Math.log(Math.exp(3) / (Math.exp(3) + Math.exp(-1)));
      near(out.loss.dataSync()[0], (l0 + l1) / 2, 1e-5, 'loss');
      assert.equal(out.metrics.acc, 0.5);
      const logits = out.logits as tf.Tensor2D;
      assert.deepEqual(Array.from(logits.dataSync()), [1, 0, 2, 3, -Infinity, -1]);
      logits.dispose();
    });

    test('finite-difference gradient; unused scores get none; no tensor leak', () => {
      const negatives = { numAnchors: 3, numNegatives: 4, indices: Int32Array.from([1, 2, 2, 5, 0, 3, 4, 4, 1, 1, 2, 5]) };
      const f = (s: tf.Tensor) => infoNceFromScores({ scores: s as tf.Tensor2D, positive: [0, 1, 3], negatives }).loss;
      checkGradients(f, [randn([3, 6], 7)], { samples: 18 });
      const g = tf.grad(f)(randn([3, 6], 8)).dataSync();
      for (const unused of [3, 4, 6 + 2, 6 + 5, 12 + 0]) assert.equal(g[unused], 0, `score ${unused} is not used`);
      const s = randn([3, 6], 9);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) f(s).dispose();
      assert.equal(tf.memory().numTensors, before);
    });
  });
}
