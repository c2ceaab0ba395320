import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { hubertLogits, hubertPredictionLoss } from '../../../src/methods/losses/hubert.ts';
import { featurePenalty } from '../../../src/methods/losses/feature-penalty.ts';
import { BACKENDS, checkGradients, randn, useBackend } from '../setup.ts';

const near = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

for (const backend of BACKENDS) {
  describe(`HuBERT prediction loss (${backend})`, () => {
    before(() => useBackend(backend));

    // Label embeddings e0 = [1, 0], e1 = [0, 1], e2 = [-1, 0]; four frames of one utterance:
    //   frame 0 [1, 1]  label 0 masked    cos = (1/√2, 1/√2, -1/√2)   (a tie between 0 and 1)
    //   frame 1 [2, 0]  label 0 masked    cos = (1, 0, -1)
    //   frame 2 [0, 3]  label 2 unmasked  cos = (0, 1, 0)
    //   frame 3 [5, 5]  label -1 (padding)
    const proj = () => tf.tensor3d([1, 1, 2, 0, 0, 3, 5, 5], [1, 4, 2]);
    const emb = () => tf.tensor2d([[1, 0], [0, 1], [-1, 0]]);
    const labels = [0, 0, 2, -1];
    const mask = [1, 1, 0, 0];
    const ce = (logits: number[], target: number) => Math.log(logits.reduce((s, v) => s + Math.exp(v), 0)) - logits[target];
    const a = 10 / Math.SQRT2;
    const ce0 = ce([a, a, -a], 0);
    const ce1 = ce([10, 0, -10], 0);
    const ce2 = ce([0, 10, 0], 2);

    test('logits are cosine / 0.1', () => {
      const l = hubertLogits(proj(), emb()).dataSync();
      const expected = [a, a, -a, 10, 0, -10, 0, 10, 0, a, a, -a];
      expected.forEach((v, i) => near(l[i], v, 1e-4, `logit ${i}`));
    });

    test('masked cross-entropy, unmasked weight, accuracies, padding ignored', () => {
      const out = hubertPredictionLoss({ projected: proj(), labelEmbeddings: emb(), labels, mask });
      near(out.loss.dataSync()[0], (ce0 + ce1) / 2, 1e-5, 'default loss (masked only)');
      near(out.metrics.loss_unmasked, ce2, 1e-4, 'unmasked loss');
      assert.equal(out.metrics.acc_masked, 0.5, 'the tie on frame 0 is not a correct prediction');
      assert.equal(out.metrics.acc_unmasked, 0);
      assert.equal(out.metrics.frames_masked, 2);
      assert.equal(out.metrics.frames_unmasked, 1);
      const [p, e] = [proj(), emb()];
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) hubertPredictionLoss({ projected: p, labelEmbeddings: e, labels, mask }).loss.dispose();
      assert.equal(tf.memory().numTensors, before, 'no tensor leak');
      const w = hubertPredictionLoss({ projected: proj(), labelEmbeddings: emb(), labels, mask }, { unmaskedWeight: 0.5, maskedWeight: 2 });
      near(w.loss.dataSync()[0], 2 * (ce0 + ce1) / 2 + 0.5 * ce2, 1e-4, 'weighted loss');
      const t = hubertPredictionLoss({ projected: proj(), labelEmbeddings: emb(), labels, mask }, { temperature: 1 });
      near(t.loss.dataSync()[0], (ce([1 / Math.SQRT2, 1 / Math.SQRT2, -1 / Math.SQRT2], 0) + ce([1, 0, -1], 0)) / 2, 1e-5, 'temperature 1');
    });

    test('finite-difference gradients for the projection and the label embeddings; errors', () => {
      const lab = [3, 0, 1, -1, 2, 2];
      const m = [1, 0, 1, 1, 0, 1];
      const f = (p: tf.Tensor, e: tf.Tensor) => hubertPredictionLoss({ projected: p, labelEmbeddings: e as tf.Tensor2D, labels: lab, mask: m }, { unmaskedWeight: 0.3, temperature: 0.5 }).loss;
      checkGradients(f, [randn([2, 3, 4], 1), randn([4, 4], 2)], { samples: 10 });
      assert.throws(() => hubertPredictionLoss({ projected: proj(), labelEmbeddings: emb(), labels: [0, 0, 3, 0], mask }), /label 3 at frame 2/);
      assert.throws(() => hubertPredictionLoss({ projected: proj(), labelEmbeddings: emb(), labels: [0], mask }), /1 labels for 4 frames/);
    });

    test('feature penalty: mean square, over real frames when given', () => {
      const f = tf.tensor3d([1, 2, 3, 4, 100, 100], [1, 3, 2]);
      near(featurePenalty(f).dataSync()[0], (1 + 4 + 9 + 16 + 20000) / 6, 1e-2, 'all frames');
      near(featurePenalty(f, [1, 1, 0]).dataSync()[0], (1 + 4 + 9 + 16) / 4, 1e-5, 'real frames');
      checkGradients((x) => featurePenalty(x, [1, 0, 1]), [randn([1, 3, 2], 3)]);
    });
  });
}
