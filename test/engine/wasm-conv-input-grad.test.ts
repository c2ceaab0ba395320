import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.ts';
import { Rng } from '../../src/util/rng.ts';

/** The wasm Conv2DBackpropInput fast path against the input gradient summed from its definition. */

/** dx[b,h,w,ci] = sum over (oh, ow, kh, kw, co) with oh*sh+kh-top = h, ow*sw+kw-left = w of dy * W, float64. */
function refInputGrad(dy: Float32Array, dys: number[], f: Float32Array, fs: number[], xs: number[], s: [number, number], top: number, left: number): Float64Array {
  const [B, H, W, C] = xs;
  const [, OH, OW, CO] = dys;
  const [KH, KW] = fs;
  const out = new Float64Array(B * H * W * C);
  for (let b = 0; b < B; b++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let kh = 0; kh < KH; kh++)
          for (let kw = 0; kw < KW; kw++) {
            const h = oh * s[0] + kh - top;
            const w = ow * s[1] + kw - left;
            if (h < 0 || h >= H || w < 0 || w >= W) continue;
            for (let ci = 0; ci < C; ci++) {
              let sum = 0;
              for (let co = 0; co < CO; co++) sum += dy[((b * OH + oh) * OW + ow) * CO + co] * f[((kh * KW + kw) * C + ci) * CO + co];
              out[((b * H + h) * W + w) * C + ci] += sum;
            }
          }
  return out;
}

type Pad = 'same' | 'valid' | tf.backend_util.ExplicitPadding;
const CASES: { x: number[]; k: [number, number]; cout: number; s: [number, number]; pad: Pad; why: string }[] = [
  { x: [2, 8, 8, 3], k: [3, 3], cout: 4, s: [1, 1], pad: [[0, 0], [1, 1], [1, 1], [0, 0]], why: 'resnet 3x3, stride 1, padding 1' },
  { x: [2, 8, 8, 3], k: [3, 3], cout: 5, s: [2, 2], pad: [[0, 0], [1, 1], [1, 1], [0, 0]], why: 'resnet 3x3, stride 2, even side' },
  { x: [1, 9, 7, 2], k: [3, 3], cout: 3, s: [2, 2], pad: [[0, 0], [1, 1], [1, 1], [0, 0]], why: 'stride 2, odd sides' },
  { x: [2, 8, 8, 3], k: [1, 1], cout: 4, s: [2, 2], pad: 'valid', why: 'resnet 1x1 shortcut, stride 2 (odd rows unread)' },
  { x: [2, 8, 8, 3], k: [4, 4], cout: 6, s: [4, 4], pad: 'valid', why: 'vit patch embedding' },
  { x: [2, 1, 43, 3], k: [1, 10], cout: 4, s: [1, 5], pad: 'valid', why: 'waveform conv, stride 5 (unread tail)' },
  { x: [2, 9, 11, 3], k: [3, 3], cout: 5, s: [2, 2], pad: 'same', why: 'stride 2 same' },
  { x: [1, 6, 6, 2], k: [2, 2], cout: 3, s: [1, 1], pad: [[0, 0], [3, 2], [2, 3], [0, 0]], why: 'padding wider than the kernel' },
  { x: [1, 8, 8, 2], k: [3, 2], cout: 3, s: [1, 2], pad: 'valid', why: 'mixed strides' },
];

test('wasm Conv2DBackpropInput equals the input gradient summed from its definition', async () => {
  await initBackend('wasm');
  const rng = new Rng(11);
  for (const c of CASES) {
    const fshape = [c.k[0], c.k[1], c.x[3], c.cout] as [number, number, number, number];
    const info = tf.backend_util.computeConv2DInfo(c.x as [number, number, number, number], fshape, c.s, 1, c.pad);
    const dyShape = [c.x[0], info.outHeight, info.outWidth, c.cout];
    const dyv = rng.normalArray(dyShape.reduce((a, b) => a * b, 1));
    const fv = rng.normalArray(fshape.reduce((a, b) => a * b, 1));
    const expected = refInputGrad(dyv, dyShape, fv, fshape, c.x, c.s, info.padInfo.top, info.padInfo.left);
    const before = tf.memory().numTensors;
    const got = tf.tidy(() => {
      const attrs = { strides: c.s, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape: c.x };
      return tf.engine().runKernel('Conv2DBackpropInput', { dy: tf.tensor(dyv, dyShape), filter: tf.tensor(fv, fshape) }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    });
    assert.deepEqual(got.shape, c.x, c.why);
    const g = got.dataSync();
    let scale = 1e-6;
    for (const v of expected) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < g.length; i++) assert.ok(Math.abs(g[i] - expected[i]) <= 1e-5 * scale, `${c.why}[${i}]: ${g[i]} vs ${expected[i]}`);
    got.dispose();
    assert.equal(tf.memory().numTensors, before, `${c.why}: tensors left behind`);
  }
});

test('the gradient of a strided convolution on wasm agrees with the cpu backend through tf.grad', async () => {
  const rng = new Rng(12);
  const xv = rng.normalArray(2 * 10 * 10 * 3);
  const fv = rng.normalArray(3 * 3 * 3 * 4);
  const run = async (backend: 'cpu' | 'wasm') => {
    await initBackend(backend);
    return tf.tidy(() => {
      const f = tf.tensor4d(fv, [3, 3, 3, 4]);
      const g = tf.grad((x: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x as tf.Tensor4D, f, 2, [[0, 0], [1, 1], [1, 1], [0, 0]]))))(tf.tensor4d(xv, [2, 10, 10, 3]));
      return Float32Array.from(g.dataSync());
    });
  };
  const a = await run('cpu');
  const b = await run('wasm');
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-4 * (1 + Math.abs(a[i])), `element ${i}: cpu ${a[i]} wasm ${b[i]}`);
});
