import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.ts';
import { MultiHeadAttention } from '../../src/nn/attention.ts';
import { TransformerBlock } from '../../src/nn/transformer-block.ts';
import { Rng } from '../../src/util/rng.ts';
import { gradCheck, randomVariable } from './gradcheck.ts';

type M = number[][];
const mm = (a: M, b: M): M => a.map((r) => b[0].map((_, j) => r.reduce((s, v, k) => s + v * b[k][j], 0)));
const addBias = (a: M, b: number[]): M => a.map((r) => r.map((v, j) => v + b[j]));

/** Multi-head attention for one sequence written out in float64 (fairseq semantics). */
function refAttention(x: M, p: Map<string, tf.Variable>, heads: number, padded: boolean[]): M {
  const w = (n: string) => p.get(n)!.arraySync() as M;
  const b = (n: string) => p.get(n)!.arraySync() as unknown as number[];
  const d = x[0].length;
  const dh = d / heads;
  const q = addBias(mm(x, w('q_proj.weight')), b('q_proj.bias')).map((r) => r.map((v) => v / Math.sqrt(dh)));
  const k = addBias(mm(x, w('k_proj.weight')), b('k_proj.bias'));
  const v = addBias(mm(x, w('v_proj.weight')), b('v_proj.bias'));
  const ctx: M = x.map(() => new Array(d).fill(0));
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < x.length; i++) {
      const s = x.map((_, j) => (padded[j] ? -Infinity : q[i].slice(h * dh, (h + 1) * dh).reduce((acc, qv, e) => acc + qv * k[j][h * dh + e], 0)));
      const mx = Math.max(...s);
      const e = s.map((z) => Math.exp(z - mx));
      const z = e.reduce((a2, c) => a2 + c, 0);
      for (let j = 0; j < x.length; j++) for (let c = 0; c < dh; c++) ctx[i][h * dh + c] += (e[j] / z) * v[j][h * dh + c];
    }
  }
  return addBias(mm(ctx, w('out_proj.weight')), b('out_proj.bias'));
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`MultiHeadAttention (${backend}): equals the float64 definition with a key padding mask; padded keys have no influence; gradients`, async () => {
    await initBackend(backend);
    const rng = new Rng(21);
    const mha = new MultiHeadAttention(8, 2, { rng });
    assert.deepEqual([...mha.namedParameters().keys()], ['k_proj.weight', 'k_proj.bias', 'v_proj.weight', 'v_proj.bias', 'q_proj.weight', 'q_proj.bias', 'out_proj.weight', 'out_proj.bias']);
    const x = randomVariable(rng, [2, 5, 8]);
    const mask = tf.tensor2d([[0, 0, 0, 0, 0], [0, 0, 0, 1, 1]]);
    const y = mha.forward(x as tf.Tensor as tf.Tensor3D, mask);
    const xs = x.arraySync() as number[][][];
    const ys = y.arraySync() as number[][][];
    const pads = [[false, false, false, false, false], [false, false, false, true, true]];
    for (let b = 0; b < 2; b++) {
      const ref = refAttention(xs[b], mha.namedParameters(), 2, pads[b]);
      for (let t = 0; t < 5; t++) for (let c = 0; c < 8; c++) assert.ok(Math.abs(ys[b][t][c] - ref[t][c]) < 1e-4, `b${b} t${t} c${c}: ${ys[b][t][c]} vs ${ref[t][c]}`);
    }
    // Changing the padded frames of sequence 1 leaves its real frames' outputs unchanged.
    const shift = Array.from({ length: 2 }, (_, b) => Array.from({ length: 5 }, (_, t) => new Array(8).fill(b === 1 && t >= 3 ? 5 : 0)));
    const x2 = tf.tidy(() => tf.add(x, tf.tensor3d(shift)));
    const y2 = mha.forward(x2 as tf.Tensor3D, mask).arraySync() as number[][][];
    for (let t = 0; t < 3; t++) for (let c = 0; c < 8; c++) assert.ok(Math.abs(y2[1][t][c] - ys[1][t][c]) < 1e-5);
    gradCheck(`MHA ${backend}`, new Map([['x', x], ...mha.namedParameters()]), () => mha.forward(x as tf.Tensor as tf.Tensor3D, mask));
    tf.dispose([x, x2, y, mask]);
    mha.dispose();
  });

  for (const normFirst of [true, false]) {
    test(`TransformerBlock (${backend}, ${normFirst ? 'pre' : 'post'}-LN): fairseq names, residual structure, gradients`, async () => {
      await initBackend(backend);
      const rng = new Rng(22);
      const block = new TransformerBlock({ dim: 8, heads: 2, ffnDim: 12, normFirst, rng });
      const names = [...block.namedParameters().keys()];
      assert.deepEqual(names.filter((n) => !n.startsWith('self_attn.')), [
        'self_attn_layer_norm.weight', 'self_attn_layer_norm.bias', 'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias', 'final_layer_norm.weight', 'final_layer_norm.bias',
      ]);
      const x = randomVariable(rng, [2, 4, 8]);
      const mask = tf.tensor2d([[0, 0, 0, 0], [0, 0, 1, 1]]);
      // Zero the output projections: pre-LN then passes x through unchanged; post-LN gives LN2(LN1(x)).
      const saved = ['self_attn.out_proj.weight', 'self_attn.out_proj.bias', 'fc2.weight', 'fc2.bias'].map((n) => [n, tf.clone(block.namedParameters().get(n)!)] as const);
      for (const [n] of saved) block.namedParameters().get(n)!.assign(tf.zerosLike(block.namedParameters().get(n)!));
      const y0 = block.forward(x as tf.Tensor as tf.Tensor3D, mask);
      const expected = normFirst ? x : block.ffnNorm.forward(block.attnNorm.forward(x));
      const diff = tf.max(tf.abs(tf.sub(y0, expected))).dataSync()[0];
      assert.ok(diff < 1e-5, `identity path differs by ${diff}`);
      for (const [n, v] of saved) block.namedParameters().get(n)!.assign(v);
      gradCheck(`block ${backend} ${normFirst}`, new Map([['x', x], ...block.namedParameters()]), () => block.forward(x as tf.Tensor as tf.Tensor3D, mask), { directions: 2, elements: 1 });
      tf.dispose([x, mask, y0, expected, ...saved.map(([, v]) => v)]);
      block.dispose();
    });
  }
}
