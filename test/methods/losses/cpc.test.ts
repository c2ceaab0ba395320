import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { cpcLoss } from '../../../src/methods/losses/cpc.ts';
import { CpcStepPredictors } from '../../../src/methods/heads.ts';
import { makeNegativeSampler } from '../../../src/methods/negatives.ts';
import { Rng } from '../../../src/util/rng.ts';
import { BACKENDS, checkGradients, randn, useBackend } from '../setup.ts';

const near = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

for (const backend of BACKENDS) {
  describe(`CPC loss (${backend})`, () => {
    before(() => useBackend(backend));

    test('a perfect predictor (W_k shifts one-hot frames by k) gives loss ~0 and accuracy 1', () => {
      // z_{b,t} = e_{bT+t}; c = z; W_k = 30 * (e_i -> e_{i+k}), so W_k c_t = 30 z_{t+k}.
      const b = 2, t = 9, steps = 3, n = b * t;
      const z = tf.reshape(tf.eye(n), [b, t, n]) as tf.Tensor3D;
      const heads = new CpcStepPredictors(n, n, steps, new Rng(1));
      const w = new Float32Array(steps * n * n);
      for (let k = 1; k <= steps; k++) for (let i = 0; i + k < n; i++) w[(k - 1) * n * n + i * n + (i + k)] = 30;
      heads.loadState({ weight: tf.tensor3d(w, [steps, n, n]) });
      const out = cpcLoss({ context: z, encoded: z }, heads, makeNegativeSampler({ kind: 'batch' }), new Rng(2), { numNegatives: 16 });
      near(out.loss.dataSync()[0], 0, 1e-6, 'loss');
      assert.equal(out.metrics.acc, 1);
      for (let k = 1; k <= steps; k++) assert.equal(out.metrics[`acc_${k}`], 1);
      tf.dispose([z, out.loss]);
      heads.dispose();
    });

    test('uninformative scores give log(K + 1) per step; sum reduction multiplies by the steps', () => {
      const heads = new CpcStepPredictors(4, 5, 4, new Rng(3));
      const context = randn([2, 12, 4], 4) as tf.Tensor3D;
      const encoded = tf.zeros([2, 12, 5]) as tf.Tensor3D; // every score 0
      const sampler = makeNegativeSampler({ kind: 'same-utterance' });
      const mean = cpcLoss({ context, encoded }, heads, sampler, new Rng(5), { numNegatives: 10 });
      near(mean.loss.dataSync()[0], Math.log(11), 1e-5, 'mean over steps');
      const sum = cpcLoss({ context, encoded }, heads, sampler, new Rng(5), { numNegatives: 10, stepReduction: 'sum' });
      near(sum.loss.dataSync()[0], 4 * Math.log(11), 1e-4, 'sum over steps');
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) {
        const { value, grads } = tf.variableGrads(() => cpcLoss({ context, encoded }, heads, sampler, new Rng(i), { numNegatives: 10 }).loss);
        tf.dispose([value, ...Object.values(grads)]);
      }
      assert.equal(tf.memory().numTensors, before, 'no tensor leak across training steps');
      tf.dispose([context, encoded, mean.loss, sum.loss]);
      heads.dispose();
    });

    test('hand-computed: one step, one negative, replaying the sampler', () => {
      // B=1, T=3, K=1: anchors t = 0, 1; the prediction is W c_t with W = [[2]] in one dimension.
      const heads = new CpcStepPredictors(1, 1, 1, new Rng(1));
      heads.loadState({ weight: tf.tensor3d([2], [1, 1, 1]) });
      const c = [0.5, -1, 3];
      const zv = [1, 2, -0.5];
      const sampler = makeNegativeSampler({ kind: 'same-utterance' });
      const out = cpcLoss({ context: tf.tensor3d(c, [1, 3, 1]), encoded: tf.tensor3d(zv, [1, 3, 1]) }, heads, sampler, new Rng(9), { numNegatives: 1 });
      const neg = sampler.sample({ anchorUtterance: [0, 0], positive: [1, 2], candidateUtterance: [0, 0, 0] }, 1, new Rng(9)).indices;
      let expected = 0;
      for (let a = 0; a < 2; a++) {
        const p = 2 * c[a];
        const sPos = p * zv[a + 1];
        const sNeg = p * zv[neg[a]];
        expected += -sPos + Math.log(Math.exp(sPos) + Math.exp(sNeg));
      }
      near(out.loss.dataSync()[0], expected / 2, 1e-5, 'loss');
      heads.dispose();
    });

    test('padding frames are never read; finite-difference gradients; gradient reaches the heads', () => {
      const heads = new CpcStepPredictors(3, 4, 2, new Rng(6));
      const lengths = [8, 5];
      // Padding of the encoded frames is NaN: any score read from it would make the loss NaN.
      const zdata = new Rng(7).normalArray(2 * 8 * 4);
      for (let t = 5; t < 8; t++) for (let d = 0; d < 4; d++) zdata[(8 + t) * 4 + d] = NaN;
      const sampler = makeNegativeSampler({ kind: 'batch' });
      const ctx = randn([2, 8, 3], 8) as tf.Tensor3D;
      const out = cpcLoss({ context: ctx, encoded: tf.tensor3d(zdata, [2, 8, 4]), lengths }, heads, sampler, new Rng(1), { numNegatives: 20 });
      assert.ok(Number.isFinite(out.loss.dataSync()[0]));
      const f = (c: tf.Tensor, z: tf.Tensor) => cpcLoss({ context: c as tf.Tensor3D, encoded: z as tf.Tensor3D, lengths }, heads, sampler, new Rng(1), { numNegatives: 5 }).loss;
      checkGradients(f, [randn([2, 8, 3], 10), randn([2, 8, 4], 11)], { samples: 8 });
      const { grads } = tf.variableGrads(() => f(ctx, randn([2, 8, 4], 11)), [heads.weight]);
      assert.ok(tf.max(tf.abs(grads[heads.weight.name])).dataSync()[0] > 1e-3);
      // Hardness band runs through the same path (similarities read from the scores).
      const hb = cpcLoss({ context: ctx, encoded: randn([2, 8, 4], 12) as tf.Tensor3D, lengths }, heads, makeNegativeSampler({ kind: 'hardness-band', pool: 'batch', skipFraction: 0.1, bandFraction: 0.5 }), new Rng(1), { numNegatives: 5 });
      assert.ok(Number.isFinite(hb.loss.dataSync()[0]));
      assert.throws(() => cpcLoss({ context: ctx, encoded: randn([2, 8, 4], 12) as tf.Tensor3D, lengths: [2, 2] }, heads, sampler, new Rng(1)), /no utterance is longer than 2 frames/);
      heads.dispose();
    });
  });
}
