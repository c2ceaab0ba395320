import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { wav2vec2ContrastiveLoss } from '../../../src/methods/losses/wav2vec2-contrastive.ts';
import { makeNegativeSampler } from '../../../src/methods/negatives.ts';
import { Rng } from '../../../src/util/rng.ts';
import { BACKENDS, checkGradients, randn, useBackend } from '../setup.ts';

const near = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
const sameUtt = makeNegativeSampler({ kind: 'same-utterance' });

/** Mask of a [2, 12] batch: frames 1..8 of utterance 0 and 3..10 of utterance 1. */
function mask(): Uint8Array {
  const m = new Uint8Array(24);
  for (let t = 1; t <= 8; t++) m[t] = 1;
  for (let t = 3; t <= 10; t++) m[12 + t] = 1;
  return m;
}

for (const backend of BACKENDS) {
  describe(`wav2vec 2.0 contrastive loss (${backend})`, () => {
    before(() => useBackend(backend));

    test('orthonormal targets predicted exactly: loss = log(1 + K exp(-1/kappa)), accuracy 1', () => {
      const q = tf.reshape(tf.eye(24), [2, 12, 24]) as tf.Tensor3D;
      const k = 20;
      const out = wav2vec2ContrastiveLoss({ context: q, targets: q, mask: mask() }, sameUtt, new Rng(1), { numNegatives: k });
      // cos = 1 for the positive, 0 for every distractor; /0.1 -> logits 10 and 0.
      near(out.loss.dataSync()[0], Math.log(1 + k * Math.exp(-10)), 1e-6, 'loss');
      assert.equal(out.metrics.acc, 1);
      assert.equal(out.metrics.duplicates, 0);
      out.loss.dispose();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) wav2vec2ContrastiveLoss({ context: q, targets: q, mask: mask() }, sameUtt, new Rng(i), { numNegatives: k }).loss.dispose();
      assert.equal(tf.memory().numTensors, before, 'no tensor leak');
    });

    test('a context orthogonal to every target gives log(K + 1)', () => {
      const targets = tf.concat([tf.zeros([2, 12, 1]), randn([2, 12, 7], 2)], 2) as tf.Tensor3D;
      const context = tf.concat([tf.ones([2, 12, 1]), tf.zeros([2, 12, 7])], 2) as tf.Tensor3D;
      const out = wav2vec2ContrastiveLoss({ context, targets, mask: mask() }, sameUtt, new Rng(3), { numNegatives: 50 });
      near(out.loss.dataSync()[0], Math.log(51), 1e-5, 'loss');
    });

    test('distractors identical to the positive are excluded (fairseq neg_is_pos)', () => {
      // Masked frames of each utterance come in identical pairs; the context equals the target.
      // Without exclusion the twin would score like the positive (a loss of order log 2 on those frames); with it, ~0.
      const m = mask();
      const data = new Float32Array(24 * 8);
      let code = 0;
      for (let i = 0; i < 24; i++) {
        if (!m[i]) continue;
        data[i * 8 + (Math.floor(code / 2) % 8)] = 1;
        code++;
      }
      const q = tf.tensor3d(data, [2, 12, 8]);
      const out = wav2vec2ContrastiveLoss({ context: q, targets: q, mask: m }, sameUtt, new Rng(4), { numNegatives: 30, temperature: 0.05 });
      near(out.metrics.duplicates, 1 / 7, 0.05, 'share of draws that hit the twin');
      assert.ok(out.loss.dataSync()[0] < 1e-5, `loss ${out.loss.dataSync()[0]}`);
      assert.equal(out.metrics.acc, 1);
      // All distractors equal to the positive: every one excluded, the loss is exactly 0.
      const same = tf.ones([1, 5, 3]) as tf.Tensor3D;
      const all = wav2vec2ContrastiveLoss({ context: same, targets: same, mask: [1, 1, 1, 1, 1] }, sameUtt, new Rng(5), { numNegatives: 4 });
      assert.equal(all.loss.dataSync()[0], 0);
    });

    test('only masked frames are candidates; finite-difference gradients', () => {
      const m = mask();
      const t = new Rng(6).normalArray(24 * 5);
      for (let i = 0; i < 24; i++) if (!m[i]) for (let d = 0; d < 5; d++) t[i * 5 + d] = NaN;
      const out = wav2vec2ContrastiveLoss({ context: randn([2, 12, 5], 7) as tf.Tensor3D, targets: tf.tensor3d(t, [2, 12, 5]), mask: m }, sameUtt, new Rng(8), { numNegatives: 10 });
      assert.ok(Number.isFinite(out.loss.dataSync()[0]), 'unmasked (NaN) targets never read');
      const f = (c: tf.Tensor, q: tf.Tensor) => wav2vec2ContrastiveLoss({ context: c as tf.Tensor3D, targets: q as tf.Tensor3D, mask: m }, sameUtt, new Rng(8), { numNegatives: 6 }).loss;
      checkGradients(f, [randn([2, 12, 5], 9), randn([2, 12, 5], 10)], { samples: 8 });
      assert.throws(() => wav2vec2ContrastiveLoss({ context: randn([1, 3, 2], 1) as tf.Tensor3D, targets: randn([1, 3, 2], 1) as tf.Tensor3D, mask: [0, 1, 0] }, sameUtt, new Rng(1)), /1 masked frame/);
    });
  });
}
