import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { GraphBuilder } from '../../src/export/graph.ts';
import { DataType } from '../../src/util/onnx-schema.ts';
import { randomArray, runGraph } from './ort-helpers.ts';

await tf.setBackend('cpu');

function ref(f: () => tf.Tensor): number[] {
  return tf.tidy(() => Array.from(f().dataSync()));
}

test('Transpose, Reshape (0 and -1), Concat, Slice with steps, Gather match tfjs', async () => {
  const x = randomArray(2 * 3 * 4, 1);
  const g = new GraphBuilder();
  const xi = g.input('x', ['b', 3, 4]);
  g.output(g.transpose(xi, [0, 2, 1]), 'tr', ['b', 4, 3]);
  g.output(g.reshape(xi, [0, -1, 2]), 'rs', ['b', 6, 2]);
  g.output(g.concat([xi, xi], 2), 'cat', ['b', 3, 8]);
  g.output(g.slice(xi, [1, 3], [3, 0], [1, 2], [1, -2]), 'sl', ['b', 2, 2]);
  g.output(g.gather(xi, g.ints([2, 0]), 1), 'ga', ['b', 2, 4]);
  const out = await runGraph(g, { x: { data: x, dims: [2, 3, 4] } });
  const t = () => tf.tensor3d(x, [2, 3, 4]);
  assert.deepEqual(Array.from(out.tr.data as Float32Array), ref(() => tf.transpose(t(), [0, 2, 1])));
  assert.deepEqual(out.rs.dims, [2, 6, 2]);
  assert.deepEqual(Array.from(out.rs.data as Float32Array), Array.from(x));
  assert.deepEqual(Array.from(out.cat.data as Float32Array), ref(() => tf.concat([t(), t()], 2)));
  // rows 1..2, columns 3 and 1 (step -2 from 3, stopping before 0)
  assert.deepEqual(Array.from(out.sl.data as Float32Array), ref(() => tf.gather(tf.slice(t(), [0, 1, 0], [2, 2, 4]), tf.tensor1d([3, 1], 'int32'), 2)));
  assert.deepEqual(Array.from(out.ga.data as Float32Array), ref(() => tf.gather(t(), tf.tensor1d([2, 0], 'int32'), 1)));
});

test('Shape, Unsqueeze, Squeeze, Expand, Range give the shapes and values derived by hand', async () => {
  const g = new GraphBuilder();
  const xi = g.input('x', ['b', 't', 2]);
  g.output(g.shape(xi), 'shape', [3], DataType.INT64);
  g.output(g.shape(xi, 1, 2), 'time', [1], DataType.INT64);
  const u = g.unsqueeze(xi, [1]);
  g.output(g.shape(u), 'ushape', [4], DataType.INT64);
  g.output(g.shape(g.squeeze(u, [1])), 'sshape', [3], DataType.INT64);
  const t = g.squeeze(g.shape(xi, 1, 2), [0]);
  const r = g.range(g.ints([0], []), t, g.ints([1], []));
  g.output(r, 'range', ['t'], DataType.INT64);
  g.output(g.expand(g.unsqueeze(r, [0]), g.concat([g.shape(xi, 0, 1), g.shape(xi, 1, 2)], 0)), 'grid', ['b', 't'], DataType.INT64);
  const out = await runGraph(g, { x: { data: new Float32Array(3 * 5 * 2), dims: [3, 5, 2] } });
  assert.deepEqual(Array.from(out.shape.data as BigInt64Array), [3n, 5n, 2n]);
  assert.deepEqual(Array.from(out.time.data as BigInt64Array), [5n]);
  assert.deepEqual(Array.from(out.ushape.data as BigInt64Array), [3n, 1n, 5n, 2n]);
  assert.deepEqual(Array.from(out.sshape.data as BigInt64Array), [3n, 5n, 2n]);
  assert.deepEqual(Array.from(out.range.data as BigInt64Array), [0n, 1n, 2n, 3n, 4n]);
  assert.deepEqual(out.grid.dims, [3, 5]);
  assert.deepEqual(Array.from(out.grid.data as BigInt64Array).slice(5, 10), [0n, 1n, 2n, 3n, 4n]);
});

test('Pad: constant and reflect modes as torch/numpy define them', async () => {
  const g = new GraphBuilder();
  const xi = g.input('x', [1, 5]);
  g.output(g.pad(xi, [0, 2, 0, 3], 'reflect'), 'reflect', [1, 10]);
  g.output(g.pad(xi, [0, 1, 0, 1], 'constant'), 'zero', [1, 7]);
  const out = await runGraph(g, { x: { data: Float32Array.from([1, 2, 3, 4, 5]), dims: [1, 5] } });
  assert.deepEqual(Array.from(out.reflect.data as Float32Array), [3, 2, 1, 2, 3, 4, 5, 4, 3, 2]);
  assert.deepEqual(Array.from(out.zero.data as Float32Array), [0, 1, 2, 3, 4, 5, 0]);
});
