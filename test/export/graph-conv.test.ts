import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { GraphBuilder } from '../../src/export/graph.ts';
import { groupNorm } from '../../src/export/composite.ts';
import { maxAbsDiff, randomArray, runGraph } from './ort-helpers.ts';

await tf.setBackend('cpu');

test('Conv 1-D with stride, padding, dilation and groups matches tfjs conv1d per group', async () => {
  const [B, C, T, O, K, groups] = [2, 4, 23, 6, 5, 2];
  const x = randomArray(B * C * T, 1);
  const w = randomArray(O * (C / groups) * K, 2); // ONNX [O, C/groups, K]
  const bias = randomArray(O, 3);
  // tfjs conv1d takes stride or dilation, not both, so the two are checked separately.
  for (const [stride, dilation] of [[2, 1], [1, 2], [3, 1]]) {
    const g = new GraphBuilder();
    const xi = g.input('x', ['b', C, 't']);
    const opts = { strides: [stride], pads: [2, 2], dilations: [dilation], group: groups };
    g.output(g.conv(xi, g.initializer('w', w, [O, C / groups, K]), g.initializer('bias', bias, [O]), opts), 'y', ['b', O, 't2']);
    const out = await runGraph(g, { x: { data: x, dims: [B, C, T] } });
    const expected = tf.tidy(() => {
      const xt = tf.pad(tf.transpose(tf.tensor3d(x, [B, C, T]), [0, 2, 1]), [[0, 0], [2, 2], [0, 0]]); // [B, T+4, C]
      const wt = tf.transpose(tf.tensor3d(w, [O, C / groups, K]), [2, 1, 0]); // [K, C/g, O]
      const parts = [];
      for (let gi = 0; gi < groups; gi++) {
        const xg = tf.slice(xt, [0, 0, gi * (C / groups)], [B, T + 4, C / groups]);
        const wg = tf.slice(wt, [0, 0, gi * (O / groups)], [K, C / groups, O / groups]);
        parts.push(tf.conv1d(xg, wg, stride, 'valid', 'NWC', dilation));
      }
      return tf.transpose(tf.add(tf.concat(parts, 2), tf.tensor1d(bias)), [0, 2, 1]);
    });
    assert.deepEqual(out.y.dims, expected.shape, `stride ${stride} dilation ${dilation}`);
    assert.ok(maxAbsDiff(out.y.data as Float32Array, expected.dataSync()) < 1e-5);
    expected.dispose();
  }
});

test('Conv 2-D (NCHW, stride 2, same-style padding) matches tfjs conv2d (NHWC)', async () => {
  const [B, C, H, W, O] = [2, 3, 9, 8, 4];
  const x = randomArray(B * C * H * W, 4);
  const w = randomArray(O * C * 3 * 3, 5);
  const g = new GraphBuilder();
  const xi = g.input('x', ['b', C, 'h', 'w']);
  g.output(g.conv(xi, g.initializer('w', w, [O, C, 3, 3]), undefined, { strides: [2, 2], pads: [1, 1, 1, 1] }), 'y', ['b', O, 'h2', 'w2']);
  const out = await runGraph(g, { x: { data: x, dims: [B, C, H, W] } });
  const expected = tf.tidy(() => {
    const xt = tf.pad(tf.transpose(tf.tensor4d(x, [B, C, H, W]), [0, 2, 3, 1]), [[0, 0], [1, 1], [1, 1], [0, 0]]);
    const wt = tf.transpose(tf.tensor4d(w, [O, C, 3, 3]), [2, 3, 1, 0]);
    return tf.transpose(tf.conv2d(xt, wt, 2, 'valid'), [0, 3, 1, 2]);
  });
  assert.deepEqual(out.y.dims, expected.shape);
  assert.ok(maxAbsDiff(out.y.data as Float32Array, expected.dataSync()) < 1e-5);
  expected.dispose();
});

test('group normalisation pattern matches a direct computation (groups = channels and groups = 2)', async () => {
  const [B, C, T] = [2, 4, 7];
  const x = randomArray(B * C * T, 6, -2, 3);
  const scale = randomArray(C, 7, 0.5, 1.5);
  const bias = randomArray(C, 8);
  for (const groups of [C, 2]) {
    const g = new GraphBuilder();
    const xi = g.input('x', ['b', C, 't']);
    g.output(groupNorm(g, xi, groups, g.initializer('s', scale, [C]), g.initializer('o', bias, [C]), 1e-5, 3), 'y', ['b', C, 't']);
    const out = await runGraph(g, { x: { data: x, dims: [B, C, T] } });
    const expected = new Float32Array(x.length);
    const per = C / groups;
    for (let b = 0; b < B; b++) {
      for (let gi = 0; gi < groups; gi++) {
        const start = (b * C + gi * per) * T;
        const seg = x.subarray(start, start + per * T);
        const mean = seg.reduce((a, v) => a + v, 0) / seg.length;
        const variance = seg.reduce((a, v) => a + (v - mean) ** 2, 0) / seg.length;
        for (let i = 0; i < seg.length; i++) {
          const c = gi * per + Math.floor(i / T);
          expected[start + i] = ((seg[i] - mean) / Math.sqrt(variance + 1e-5)) * scale[c] + bias[c];
        }
      }
    }
    assert.ok(maxAbsDiff(out.y.data as Float32Array, expected) < 1e-5, `groups ${groups}`);
  }
});
