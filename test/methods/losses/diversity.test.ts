import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { codebookPerplexity, diversityLoss } from '../../../src/methods/losses/diversity.ts';
import { BACKENDS, checkGradients, randn, useBackend } from '../setup.ts';

const near = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

for (const backend of BACKENDS) {
  describe(`wav2vec 2.0 diversity loss (${backend})`, () => {
    before(() => useBackend(backend));

    test('uniform use gives 0; one entry per group gives 1 - 1/V; half the entries gives 1/2', () => {
      const g = 2, v = 4;
      const uniform = tf.fill([g, v], 1 / v) as tf.Tensor2D;
      near(codebookPerplexity(uniform).dataSync()[0], g * v, 1e-4, 'perplexity G*V');
      near(diversityLoss(codebookPerplexity(uniform), g * v).dataSync()[0], 0, 1e-5, 'uniform');
      // Collapsed: perplexity 1 per group (exp of 0 entropy; the 1e-7 guard changes it by < 1e-6).
      const collapsed = tf.tensor2d([[1, 0, 0, 0], [0, 0, 1, 0]]);
      near(diversityLoss(codebookPerplexity(collapsed), g * v).dataSync()[0], (g * v - g) / (g * v), 1e-5, 'collapsed = 1 - 1/V');
      // Half of each codebook used evenly: perplexity 2 per group -> (8 - 4) / 8.
      const half = tf.tensor2d([[0.5, 0.5, 0, 0], [0, 0.5, 0, 0.5]]);
      near(diversityLoss(codebookPerplexity(half), g * v).dataSync()[0], 0.5, 1e-5, 'half');
    });

    test('finite-difference gradient through the averaged softmax', () => {
      // logits [N=3 frames, G=2, V=3] -> softmax -> mean over frames -> perplexity -> loss
      const f = (l: tf.Tensor) => diversityLoss(codebookPerplexity(tf.mean(tf.softmax(l), 0) as tf.Tensor2D), 6);
      checkGradients(f, [randn([3, 2, 3], 1)], { samples: 18 });
    });
  });
}
