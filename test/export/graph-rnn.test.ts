import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { GraphBuilder } from '../../src/export/graph.ts';
import { DataType } from '../../src/util/onnx-schema.ts';
import { gruNode, lstmNode, onnxGateMatrix, onnxGateVector, ONNX_GRU_GATES, ONNX_LSTM_GATES } from '../../src/export/rnn.ts';
import { maxAbsDiff, randomArray, runGraph } from './ort-helpers.ts';

await tf.setBackend('cpu');

const [B, T, I, H] = [3, 6, 5, 4];
const lengths = [6, 4, 1];
const x = randomArray(B * T * I, 1);

type Step = (xt: tf.Tensor2D, state: tf.Tensor2D[]) => tf.Tensor2D[];

/** Runs `step` over each sequence up to its length; returns Y [B, T, H] (zeros past the length) and the last h. */
function runReference(step: Step, stateCount: number): { y: Float32Array; last: Float32Array } {
  return tf.tidy(() => {
    const y = new Float32Array(B * T * H);
    const last = new Float32Array(B * H);
    for (let b = 0; b < B; b++) {
      let state = Array.from({ length: stateCount }, () => tf.zeros([1, H]) as tf.Tensor2D);
      for (let t = 0; t < lengths[b]; t++) {
        const xt = tf.tensor2d(x.subarray((b * T + t) * I, (b * T + t + 1) * I), [1, I]);
        state = step(xt, state);
        y.set(state[0].dataSync(), (b * T + t) * H);
      }
      last.set(state[0].dataSync(), b * H);
    }
    return { y, last };
  });
}

async function runOnnx(build: (g: GraphBuilder, xt: string, lens: string) => { y: string; yH: string }) {
  const g = new GraphBuilder();
  const xi = g.input('x', ['b', 't', I]);
  const lens = g.input('lens', ['b'], DataType.INT32);
  const { y, yH } = build(g, g.transpose(xi, [1, 0, 2]), lens);
  g.output(g.transpose(g.squeeze(y, [1]), [1, 0, 2]), 'y', ['b', 't', H]);
  g.output(g.squeeze(yH, [0]), 'last', ['b', H]);
  return runGraph(g, { x: { data: x, dims: [B, T, I] }, lens: { data: Int32Array.from(lengths), dims: [B] } });
}

test('LSTM: weights in tfjs-layers layout (kernel [in, 4H], gates i f c o) converted to ONNX i o f c', async () => {
  const kernel = randomArray(I * 4 * H, 2);
  const recurrent = randomArray(H * 4 * H, 3);
  const bias = randomArray(4 * H, 4);
  const ref = runReference((xt, [h, c]) => {
    const z = tf.add(tf.add(tf.matMul(xt, tf.tensor2d(kernel, [I, 4 * H])), tf.matMul(h, tf.tensor2d(recurrent, [H, 4 * H]))), tf.tensor1d(bias));
    const [zi, zf, zc, zo] = tf.split(z, 4, 1);
    const c2 = tf.add(tf.mul(tf.sigmoid(zf), c), tf.mul(tf.sigmoid(zi), tf.tanh(zc)));
    return [tf.mul(tf.sigmoid(zo), tf.tanh(c2)) as tf.Tensor2D, c2 as tf.Tensor2D];
  }, 2);
  const out = await runOnnx((g, xt, lens) => {
    const w = g.initializer('W', onnxGateMatrix(kernel, I, H, 'ifco', ONNX_LSTM_GATES, true), [1, 4 * H, I]);
    const r = g.initializer('R', onnxGateMatrix(recurrent, H, H, 'ifco', ONNX_LSTM_GATES, true), [1, 4 * H, H]);
    const b = new Float32Array(8 * H);
    b.set(onnxGateVector(bias, H, 'ifco', ONNX_LSTM_GATES));
    return lstmNode(g, xt, w, r, g.initializer('B', b, [1, 8 * H]), { hidden: H, sequenceLens: lens });
  });
  assert.ok(maxAbsDiff(out.y.data as Float32Array, ref.y) < 1e-5);
  assert.ok(maxAbsDiff(out.last.data as Float32Array, ref.last) < 1e-5);
});

test('GRU, tfjs-layers convention (gates z r h, reset before the recurrent product): linear_before_reset 0', async () => {
  const kernel = randomArray(I * 3 * H, 5);
  const recurrent = randomArray(H * 3 * H, 6);
  const bias = randomArray(3 * H, 7);
  const ref = runReference((xt, [h]) => {
    const xz = tf.add(tf.matMul(xt, tf.tensor2d(kernel, [I, 3 * H])), tf.tensor1d(bias));
    const [xZ, xR, xH] = tf.split(xz, 3, 1);
    const rec = tf.tensor2d(recurrent, [H, 3 * H]);
    const [rZ, rR, rH] = tf.split(rec, 3, 1);
    const z = tf.sigmoid(tf.add(xZ, tf.matMul(h, rZ)));
    const r = tf.sigmoid(tf.add(xR, tf.matMul(h, rR)));
    const hh = tf.tanh(tf.add(xH, tf.matMul(tf.mul(r, h), rH)));
    return [tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hh)) as tf.Tensor2D];
  }, 1);
  const out = await runOnnx((g, xt, lens) => {
    const w = g.initializer('W', onnxGateMatrix(kernel, I, H, 'zrh', ONNX_GRU_GATES, true), [1, 3 * H, I]);
    const r = g.initializer('R', onnxGateMatrix(recurrent, H, H, 'zrh', ONNX_GRU_GATES, true), [1, 3 * H, H]);
    const b = new Float32Array(6 * H);
    b.set(bias);
    return gruNode(g, xt, w, r, g.initializer('B', b, [1, 6 * H]), { hidden: H, sequenceLens: lens, linearBeforeReset: false });
  });
  assert.ok(maxAbsDiff(out.y.data as Float32Array, ref.y) < 1e-5);
  assert.ok(maxAbsDiff(out.last.data as Float32Array, ref.last) < 1e-5);
});

test('GRU, PyTorch convention (weights [3H, in], gates r z n, reset after the product): linear_before_reset 1', async () => {
  const wIh = randomArray(3 * H * I, 8);
  const wHh = randomArray(3 * H * H, 9);
  const bIh = randomArray(3 * H, 10);
  const bHh = randomArray(3 * H, 11);
  const ref = runReference((xt, [h]) => {
    const gi = tf.add(tf.matMul(xt, tf.tensor2d(wIh, [3 * H, I]), false, true), tf.tensor1d(bIh));
    const gh = tf.add(tf.matMul(h, tf.tensor2d(wHh, [3 * H, H]), false, true), tf.tensor1d(bHh));
    const [iR, iZ, iN] = tf.split(gi, 3, 1);
    const [hR, hZ, hN] = tf.split(gh, 3, 1);
    const r = tf.sigmoid(tf.add(iR, hR));
    const z = tf.sigmoid(tf.add(iZ, hZ));
    const n = tf.tanh(tf.add(iN, tf.mul(r, hN)));
    return [tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, h)) as tf.Tensor2D];
  }, 1);
  const out = await runOnnx((g, xt, lens) => {
    const w = g.initializer('W', onnxGateMatrix(wIh, I, H, 'rzh', ONNX_GRU_GATES, false), [1, 3 * H, I]);
    const r = g.initializer('R', onnxGateMatrix(wHh, H, H, 'rzh', ONNX_GRU_GATES, false), [1, 3 * H, H]);
    const b = new Float32Array(6 * H);
    b.set(onnxGateVector(bIh, H, 'rzh', ONNX_GRU_GATES));
    b.set(onnxGateVector(bHh, H, 'rzh', ONNX_GRU_GATES), 3 * H);
    return gruNode(g, xt, w, r, g.initializer('B', b, [1, 6 * H]), { hidden: H, sequenceLens: lens, linearBeforeReset: true });
  });
  assert.ok(maxAbsDiff(out.y.data as Float32Array, ref.y) < 1e-5);
  assert.ok(maxAbsDiff(out.last.data as Float32Array, ref.last) < 1e-5);
});

test('gate reordering refuses orders that do not name the same gates', () => {
  assert.throws(() => onnxGateVector(new Float32Array(8), 2, 'ifco', 'iofz'), /gate orders "ifco" and "iofz" do not match/);
});
