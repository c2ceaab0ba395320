import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { GumbelVectorQuantizer } from '../../src/methods/quantizer.ts';
import { diversityLoss } from '../../src/methods/losses/diversity.ts';
import { Rng } from '../../src/util/rng.ts';
import { BACKENDS, checkGradients, randn, useBackend } from './setup.ts';

const near = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
const G = 2, V = 4, CODE = 6, IN = 3;

/** The Gumbel noise the quantiser draws, replayed from a generator in the same state. */
function gumbel(rng: Rng, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let u = rng.next();
    while (u === 0) u = rng.next();
    out[i] = -Math.log(-Math.log(u));
  }
  return out;
}

function logitsOf(q: GumbelVectorQuantizer, x: tf.Tensor): Float32Array {
  return tf.tidy(() => tf.add(tf.matMul(tf.reshape(x, [-1, IN]), q.projection.weight), q.projection.bias).dataSync() as Float32Array);
}

function argmaxGroups(values: Float32Array, n: number): number[] {
  const codes: number[] = [];
  for (let i = 0; i < n * G; i++) {
    let best = 0;
    for (let v = 1; v < V; v++) if (values[i * V + v] > values[i * V + best]) best = v;
    codes.push(best);
  }
  return codes;
}

for (const backend of BACKENDS) {
  describe(`Gumbel product quantiser (${backend})`, () => {
    before(() => useBackend(backend));

    test('eval: hard argmax of the logits, output = concatenated codewords, exactly', () => {
      const q = new GumbelVectorQuantizer({ inputDim: IN, groups: G, entriesPerGroup: V, codeDim: CODE }, new Rng(1)).eval();
      const x = randn([2, 3, IN], 2);
      const out = q.forward(x);
      assert.deepEqual(out.quantized.shape, [2, 3, CODE]);
      const codes = argmaxGroups(logitsOf(q, x), 6);
      assert.deepEqual(Array.from(out.codes), codes);
      const words = q.codebook.dataSync();
      const qd = out.quantized.dataSync();
      for (let n = 0; n < 6; n++) for (let g = 0; g < G; g++) for (let d = 0; d < CODE / G; d++) {
        assert.equal(qd[n * CODE + g * (CODE / G) + d], words[(g * V + codes[n * G + g]) * (CODE / G) + d]);
      }
      assert.equal(out.numVars, G * V);
    });

    test('training: codes are argmax(logits + seeded Gumbel noise); same seed same output', () => {
      const q = new GumbelVectorQuantizer({ inputDim: IN, groups: G, entriesPerGroup: V, codeDim: CODE }, new Rng(1));
      const x = randn([5, IN], 3);
      const out = q.forward(x, { rng: new Rng(7) });
      const noise = gumbel(new Rng(7), 5 * G * V);
      const noisy = logitsOf(q, x).map((l, i) => l + noise[i]);
      assert.deepEqual(Array.from(out.codes), argmaxGroups(noisy, 5));
      assert.deepEqual(out.quantized.dataSync(), q.forward(x, { rng: new Rng(7) }).quantized.dataSync());
      assert.throws(() => q.forward(x), /needs an Rng/);
    });

    test('straight-through: forward hard, gradient of the soft Gumbel sample', () => {
      const q = new GumbelVectorQuantizer({ inputDim: IN, groups: G, entriesPerGroup: V, codeDim: CODE }, new Rng(4));
      q.setNumUpdates(20000); // tau = 2 * 0.999995^20000 = 1.8097
      const n = 4;
      const x = randn([n, IN], 5);
      const r = randn([n, CODE], 6);
      const noise = tf.tensor2d(gumbel(new Rng(8), n * G * V), [n * G, V]);
      const hard = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(q.forward(xi, { rng: new Rng(8) }).quantized, r)))(x);
      const soft = tf.grad((xi: tf.Tensor) => {
        const logits = tf.reshape(tf.add(tf.matMul(xi as tf.Tensor2D, q.projection.weight), q.projection.bias), [n * G, V]);
        const p = tf.reshape(tf.softmax(tf.div(tf.add(logits, noise), q.temperature)), [n, G, V]);
        const words = tf.reshape(q.codebook, [G, V, CODE / G]);
        const qs = tf.reshape(tf.transpose(tf.matMul(tf.transpose(p, [1, 0, 2]), words), [1, 0, 2]), [n, CODE]);
        return tf.sum(tf.mul(qs, r));
      })(x);
      const h = hard.dataSync(), s = soft.dataSync();
      assert.ok(tf.max(tf.abs(hard)).dataSync()[0] > 1e-3, 'a gradient reaches the input');
      for (let i = 0; i < h.length; i++) near(h[i], s[i], 1e-5, `d/dx ${i}`);
      // The codebook's gradient comes from the hard one-hot only: rows of r summed per chosen entry.
      const out = q.forward(x, { rng: new Rng(8) });
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(q.forward(x, { rng: new Rng(8) }).quantized, r)), [q.codebook]);
      const gw = grads[q.codebook.name].dataSync();
      const expected = new Float32Array(G * V * (CODE / G));
      const rd = r.dataSync();
      for (let i = 0; i < n; i++) for (let g = 0; g < G; g++) for (let d = 0; d < CODE / G; d++) {
        expected[(g * V + out.codes[i * G + g]) * (CODE / G) + d] += rd[i * CODE + g * (CODE / G) + d];
      }
      for (let i = 0; i < gw.length; i++) near(gw[i], expected[i], 1e-5, `d/dvars ${i}`);
    });

    test('perplexities and the diversity loss; finite-difference gradient of the perplexity', () => {
      // Projection = 10 x identity: a one-hot input picks its code.
      const q = new GumbelVectorQuantizer({ inputDim: G * V, groups: G, entriesPerGroup: V, codeDim: CODE }, new Rng(1)).eval();
      q.projection.weight.assign(tf.mul(tf.eye(G * V), 10));
      // four frames: group 0 codes 0,1,0,1 ; group 1 codes 0,0,0,0 (the input's second half is zero).
      const x = tf.tensor2d([0, 1, 2, 3].map((i) => Array.from({ length: G * V }, (_, j) => (j === (i % 2) ? 1 : 0))));
      const out = q.forward(x);
      near(out.codePerplexity, 2 + 1, 1e-5, 'hard perplexity: 2 codes evenly in group 0, all ties -> code 0 in group 1');
      near(q.forward(x, { frames: [1, 0, 1, 0] }).codePerplexity, 1 + 1, 1e-5, 'counting frames 0 and 2 only');
      // Zero projection: uniform softmax, perplexity G*V, diversity 0.
      q.projection.weight.assign(tf.zeros([G * V, G * V]));
      const u = q.forward(x);
      near(u.probPerplexity.dataSync()[0], G * V, 1e-4, 'uniform perplexity');
      near(diversityLoss(u.probPerplexity, u.numVars).dataSync()[0], 0, 1e-5, 'diversity at uniform use');
      const q2 = new GumbelVectorQuantizer({ inputDim: IN, groups: G, entriesPerGroup: V, codeDim: CODE }, new Rng(2)).eval();
      checkGradients((xi) => q2.forward(xi).probPerplexity, [randn([5, IN], 9)], { samples: 15 });
    });

    test('temperature anneals 2 -> 0.5 by 0.999995 per update; state round-trips; no tensor leak', () => {
      const q = new GumbelVectorQuantizer({ inputDim: IN, groups: G, entriesPerGroup: V, codeDim: CODE }, new Rng(1));
      assert.equal(q.temperature, 2);
      q.setNumUpdates(1000);
      near(q.temperature, 2 * Math.pow(0.999995, 1000), 1e-12, 'after 1000 updates');
      q.setNumUpdates(300000); // 2 e^-1.5 = 0.446 < 0.5
      assert.equal(q.temperature, 0.5);
      const q2 = new GumbelVectorQuantizer({ inputDim: IN, groups: G, entriesPerGroup: V, codeDim: CODE }, new Rng(1));
      q2.setState(q.getState());
      assert.equal(q2.temperature, 0.5);
      assert.deepEqual([...q.namedParameters().keys()], ['vars', 'weight_proj.weight', 'weight_proj.bias']);
      const x = randn([3, IN], 1);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) {
        const o = q.forward(x, { rng: new Rng(i) });
        tf.dispose([o.quantized, o.probPerplexity]);
      }
      assert.equal(tf.memory().numTensors, before);
      assert.throws(() => new GumbelVectorQuantizer({ inputDim: 3, codeDim: 5, groups: 2 }, new Rng(1)), /not divisible/);
    });
  });
}
