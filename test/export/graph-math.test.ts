import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { GraphBuilder } from '../../src/export/graph.ts';
import { gelu } from '../../src/export/composite.ts';
import { DataType } from '../../src/util/onnx-schema.ts';
import { maxAbsDiff, randomArray, runGraph } from './ort-helpers.ts';

await tf.setBackend('cpu');

function ref(f: () => tf.Tensor): Float32Array {
  return tf.tidy(() => f().dataSync() as Float32Array);
}

test('elementwise ops with broadcasting match plain arithmetic', async () => {
  const a = randomArray(2 * 3 * 4, 1);
  const b = randomArray(4, 2, 0.5, 2);
  const g = new GraphBuilder();
  const x = g.input('a', [2, 3, 4]);
  const y = g.input('b', [4]);
  g.output(g.add(x, y), 'add', [2, 3, 4]);
  g.output(g.sub(x, y), 'sub', [2, 3, 4]);
  g.output(g.mul(x, y), 'mul', [2, 3, 4]);
  g.output(g.div(x, y), 'div', [2, 3, 4]);
  g.output(g.pow(g.abs(x), y), 'pow', [2, 3, 4]);
  g.output(g.sqrt(g.abs(x)), 'sqrt', [2, 3, 4]);
  g.output(g.max(x, g.floats([0.1])), 'max', [2, 3, 4]);
  const out = await runGraph(g, { a: { data: a, dims: [2, 3, 4] }, b: { data: b, dims: [4] } });
  const expect = (f: (p: number, q: number) => number) => Float32Array.from(a, (v, i) => f(v, b[i % 4]));
  assert.ok(maxAbsDiff(out.add.data as Float32Array, expect((p, q) => p + q)) < 1e-6);
  assert.ok(maxAbsDiff(out.sub.data as Float32Array, expect((p, q) => p - q)) < 1e-6);
  assert.ok(maxAbsDiff(out.mul.data as Float32Array, expect((p, q) => p * q)) < 1e-6);
  assert.ok(maxAbsDiff(out.div.data as Float32Array, expect((p, q) => p / q)) < 1e-6);
  assert.ok(maxAbsDiff(out.pow.data as Float32Array, expect((p, q) => Math.abs(p) ** q)) < 1e-6);
  assert.ok(maxAbsDiff(out.sqrt.data as Float32Array, expect((p) => Math.sqrt(Math.abs(p)))) < 1e-6);
  assert.ok(maxAbsDiff(out.max.data as Float32Array, expect((p) => Math.max(p, 0.1))) < 1e-6);
});

test('Erf and exact GELU match tfjs', async () => {
  const x = randomArray(64, 3, -4, 4);
  const g = new GraphBuilder();
  const xi = g.input('x', [64]);
  g.output(g.erf(xi), 'erf', [64]);
  g.output(gelu(g, xi), 'gelu', [64]);
  const out = await runGraph(g, { x: { data: x, dims: [64] } });
  assert.ok(maxAbsDiff(out.erf.data as Float32Array, ref(() => tf.erf(tf.tensor1d(x)))) < 1e-6);
  const geluRef = ref(() => {
    const t = tf.tensor1d(x);
    return tf.mul(tf.mul(t, 0.5), tf.add(tf.erf(tf.mul(t, Math.SQRT1_2)), 1));
  });
  assert.ok(maxAbsDiff(out.gelu.data as Float32Array, geluRef) < 1e-6);
  // A hand value: gelu(1) = 0.5 * (1 + erf(0.70710678)) = 0.8413447.
  const at1 = new GraphBuilder();
  at1.output(gelu(at1, at1.input('x', [1])), 'y', [1]);
  const one = await runGraph(at1, { x: { data: Float32Array.of(1), dims: [1] } });
  assert.ok(Math.abs((one.y.data as Float32Array)[0] - 0.8413447) < 1e-6);
});

test('Where, Equal, Less, Not and Cast build masks as expected', async () => {
  const g = new GraphBuilder();
  const lens = g.input('lens', [2], DataType.INT64);
  const pos = g.range(g.ints([0], []), g.ints([4], []), g.ints([1], []));
  const valid = g.less(g.unsqueeze(pos, [0]), g.unsqueeze(lens, [1])); // [2, 4]
  g.output(g.cast(g.not(valid), DataType.FLOAT), 'pad', [2, 4]);
  g.output(g.cast(g.equal(lens, g.ints([3], [])), DataType.FLOAT), 'eq3', [2]);
  const scores = g.input('s', [2, 4]);
  g.output(g.where(valid, scores, g.floats([-1e9])), 'masked', [2, 4]);
  const s = randomArray(8, 4);
  const out = await runGraph(g, { lens: { data: BigInt64Array.from([3n, 1n]), dims: [2] }, s: { data: s, dims: [2, 4] } });
  assert.deepEqual(Array.from(out.pad.data as Float32Array), [0, 0, 0, 1, 0, 1, 1, 1]);
  assert.deepEqual(Array.from(out.eq3.data as Float32Array), [1, 0]);
  assert.deepEqual(Array.from(out.masked.data as Float32Array), [s[0], s[1], s[2], -1e9, s[4], -1e9, -1e9, -1e9].map(Math.fround));
});

test('MatMul (batched by 2-D) and Gemm with transposed B match tfjs', async () => {
  const x = randomArray(2 * 5 * 6, 5);
  const w = randomArray(6 * 3, 6);
  const wt = randomArray(3 * 6, 7);
  const bias = randomArray(3, 8);
  const g = new GraphBuilder();
  const xi = g.input('x', ['b', 't', 6]);
  g.output(g.matMul(xi, g.initializer('w', w, [6, 3])), 'mm', ['b', 't', 3]);
  const flat = g.reshape(xi, [-1, 6]);
  g.output(g.gemm(flat, g.initializer('wt', wt, [3, 6]), g.initializer('bias', bias, [3]), { transB: true }), 'gemm', ['n', 3]);
  const out = await runGraph(g, { x: { data: x, dims: [2, 5, 6] } });
  assert.deepEqual(out.mm.dims, [2, 5, 3]);
  assert.ok(maxAbsDiff(out.mm.data as Float32Array, ref(() => tf.matMul(tf.tensor2d(x, [10, 6]), tf.tensor2d(w, [6, 3])))) < 1e-5);
  const gemmRef = ref(() => tf.add(tf.matMul(tf.tensor2d(x, [10, 6]), tf.tensor2d(wt, [3, 6]), false, true), tf.tensor1d(bias)));
  assert.ok(maxAbsDiff(out.gemm.data as Float32Array, gemmRef) < 1e-5);
});

test('Softmax, ReduceMean, ReduceSum and LayerNormalization match tfjs', async () => {
  const x = randomArray(3 * 4 * 8, 9, -3, 3);
  const gamma = randomArray(8, 10, 0.5, 1.5);
  const beta = randomArray(8, 11);
  const g = new GraphBuilder();
  const xi = g.input('x', [3, 4, 8]);
  g.output(g.softmax(xi, -1), 'softmax', [3, 4, 8]);
  g.output(g.reduceMean(xi, [1], false), 'mean', [3, 8]);
  g.output(g.reduceSum(xi, [2], true), 'sum', [3, 4, 1]);
  g.output(g.layerNorm(xi, g.initializer('g', gamma, [8]), g.initializer('b', beta, [8]), 1e-5), 'ln', [3, 4, 8]);
  const out = await runGraph(g, { x: { data: x, dims: [3, 4, 8] } });
  const t = () => tf.tensor3d(x, [3, 4, 8]);
  assert.ok(maxAbsDiff(out.softmax.data as Float32Array, ref(() => tf.softmax(t()))) < 1e-6);
  assert.ok(maxAbsDiff(out.mean.data as Float32Array, ref(() => tf.mean(t(), 1))) < 1e-6);
  assert.ok(maxAbsDiff(out.sum.data as Float32Array, ref(() => tf.sum(t(), 2))) < 1e-5);
  const lnRef = ref(() => {
    const { mean, variance } = tf.moments(t(), -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(t(), mean), tf.sqrt(tf.add(variance, 1e-5))), tf.tensor1d(gamma)), tf.tensor1d(beta));
  });
  assert.ok(maxAbsDiff(out.ln.data as Float32Array, lnRef) < 1e-5);
});
