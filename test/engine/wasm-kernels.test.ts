import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { refProduct } from './reference-product.ts';
import { initBackend } from '../../src/engine/backend.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertRelClose } from '../helpers/close.ts';

/**
 * The wasm fast paths against a float64 reference computed here in plain JS (and, for convolution
 * gradients, against the definition summed by hand), on every layout the models produce.
 */

const rng = new Rng(7);

function randomArray(n: number): Float32Array {
  return rng.normalArray(n);
}

/** out[b] = op(A[b]) @ op(B[b]) in float64 with batch broadcasting of size-1 batch items. */
function refMatMul(a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], ta: boolean, tb: boolean): { values: Float64Array; shape: number[] } {
  const m = ta ? aShape[aShape.length - 1] : aShape[aShape.length - 2];
  const n = tb ? bShape[bShape.length - 2] : bShape[bShape.length - 1];
  const out = refProduct(a, aShape, b, bShape, ta, tb);
  const batchShape = aShape.length >= bShape.length ? aShape.slice(0, -2) : bShape.slice(0, -2);
  return { values: out, shape: [...batchShape.map((d, i) => Math.max(d, (bShape.slice(0, -2)[i] ?? 1))), m, n] };
}

const MATMUL_CASES: { a: number[]; b: number[]; ta: boolean; tb: boolean; why: string }[] = [
  { a: [37, 19], b: [19, 23], ta: false, tb: false, why: 'plain 2-D' },
  { a: [37, 19], b: [23, 19], ta: false, tb: true, why: 'dA = dY W^T' },
  { a: [19, 37], b: [19, 23], ta: true, tb: false, why: 'dW = X^T dY' },
  { a: [41, 9], b: [41, 29], ta: true, tb: false, why: 'dW = X^T dY of a widening layer, as (dY^T X)^T' },
  { a: [1, 41, 9], b: [1, 41, 29], ta: true, tb: false, why: 'widening dW with a size-1 batch' },
  { a: [19, 37], b: [23, 19], ta: true, tb: true, why: 'both transposed' },
  { a: [6, 11, 8], b: [6, 9, 8], ta: false, tb: true, why: 'attention scores Q K^T' },
  { a: [6, 11, 9], b: [6, 11, 8], ta: true, tb: false, why: 'attention backward S^T V' },
  { a: [2, 3, 11, 8], b: [2, 3, 8, 5], ta: false, tb: false, why: 'rank-4 batch' },
  { a: [4, 10, 8], b: [8, 5], ta: false, tb: false, why: 'batch of A folded into rows' },
  { a: [1, 10, 8], b: [4, 8, 5], ta: false, tb: false, why: 'batch of B only' },
  { a: [4, 10, 8], b: [1, 5, 8], ta: false, tb: true, why: 'size-1 batch of B, transposed' },
  { a: [3, 0, 8], b: [3, 8, 5], ta: false, tb: false, why: 'empty rows' },
];

test('wasm BatchMatMul fast path matches a float64 product on every layout', async () => {
  await initBackend('wasm', { nativeGemm: false });
  for (const c of MATMUL_CASES) {
    const av = randomArray(c.a.reduce((x, y) => x * y, 1));
    const bv = randomArray(c.b.reduce((x, y) => x * y, 1));
    const ref = refMatMul(av, c.a, bv, c.b, c.ta, c.tb);
    const got = tf.tidy(() => tf.matMul(tf.tensor(av, c.a), tf.tensor(bv, c.b), c.ta, c.tb));
    assert.deepEqual(got.shape, ref.shape, `${c.why}: shape`);
    assertRelClose(got.dataSync(), ref.values, 1e-5, c.why);
    got.dispose();
  }
});

test('wasm fused product (bias, relu) with transposed and batched operands matches the reference', async () => {
  await initBackend('wasm', { nativeGemm: false });
  const av = randomArray(3 * 10 * 8);
  const bv = randomArray(5 * 8);
  const bias = randomArray(5);
  const ref = refMatMul(av, [3, 10, 8], bv, [5, 8], false, true);
  const expected = ref.values.map((v, i) => Math.max(0, v + bias[i % 5]));
  const got = tf.tidy(() =>
    tf.fused.matMul({ a: tf.tensor(av, [3, 10, 8]) as tf.Tensor3D, b: tf.tensor(bv, [1, 5, 8]) as tf.Tensor3D, transposeB: true, bias: tf.tensor1d(bias), activation: 'relu' }),
  );
  assert.deepEqual(got.shape, [3, 10, 5]);
  assertRelClose(got.dataSync(), expected, 1e-5, 'fused');
  got.dispose();
});

test('matrix products leave no tensors and no wasm-side views behind', async () => {
  await initBackend('wasm', { nativeGemm: false });
  const before = tf.memory().numTensors;
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const idsBefore = backend.numDataIds();
  const a = tf.tensor(randomArray(4 * 6 * 5), [4, 6, 5]);
  const b = tf.tensor(randomArray(4 * 7 * 5), [4, 7, 5]);
  const x = tf.tensor(randomArray(40 * 6), [40, 6]);
  const dy = tf.tensor(randomArray(40 * 20), [40, 20]);
  for (let i = 0; i < 3; i++) {
    tf.tidy(() => tf.matMul(a, b, false, true)).dispose();
    tf.tidy(() => tf.matMul(x, dy, true, false)).dispose(); // the (dY^T X)^T orientation
  }
  tf.dispose([a, b, x, dy]);
  assert.equal(tf.memory().numTensors, before);
  assert.equal(backend.numDataIds(), idsBefore);
});

/** dW[kh,kw,ci,co] = sum_{b,oh,ow} xpad[b, oh*sh+kh-top, ow*sw+kw-left, ci] * dy[b,oh,ow,co], in float64. */
function refFilterGrad(x: Float32Array, xs: number[], dy: Float32Array, dys: number[], k: [number, number], s: [number, number], top: number, left: number): Float64Array {
  const [B, H, W, C] = xs;
  const [, OH, OW, CO] = dys;
  const out = new Float64Array(k[0] * k[1] * C * CO);
  for (let kh = 0; kh < k[0]; kh++)
    for (let kw = 0; kw < k[1]; kw++)
      for (let ci = 0; ci < C; ci++)
        for (let co = 0; co < CO; co++) {
          let sum = 0;
          for (let b = 0; b < B; b++)
            for (let oh = 0; oh < OH; oh++)
              for (let ow = 0; ow < OW; ow++) {
                const h = oh * s[0] + kh - top;
                const w = ow * s[1] + kw - left;
                if (h < 0 || h >= H || w < 0 || w >= W) continue;
                sum += x[((b * H + h) * W + w) * C + ci] * dy[((b * OH + oh) * OW + ow) * CO + co];
              }
          out[((kh * k[1] + kw) * C + ci) * CO + co] = sum;
        }
  return out;
}

const CONV_CASES: { x: number[]; k: [number, number]; cout: number; s: [number, number]; pad: 'same' | 'valid' | tf.backend_util.ExplicitPadding; why: string }[] = [
  { x: [2, 1, 40, 3], k: [1, 10], cout: 4, s: [1, 5], pad: 'valid', why: 'waveform conv, stride 5 (unread tail cropped)' },
  { x: [2, 1, 17, 4], k: [1, 8], cout: 4, s: [1, 1], pad: [[0, 0], [0, 0], [4, 4], [0, 0]], why: 'positional conv, explicit padding' },
  { x: [2, 9, 11, 3], k: [3, 3], cout: 5, s: [2, 2], pad: 'same', why: '2-D stride 2 same' },
  { x: [1, 8, 8, 2], k: [3, 2], cout: 3, s: [1, 2], pad: 'valid', why: '2-D mixed strides' },
];

test('wasm Conv2DBackpropFilter equals the filter gradient summed from its definition', async () => {
  await initBackend('wasm', { nativeGemm: false });
  for (const c of CONV_CASES) {
    const fshape: [number, number, number, number] = [c.k[0], c.k[1], c.x[3], c.cout];
    const xv = randomArray(c.x.reduce((a, b) => a * b, 1));
    const info = tf.backend_util.computeConv2DInfo(c.x as [number, number, number, number], fshape, c.s, 1, c.pad);
    assert.notEqual(tf.getKernel('Conv2DBackpropFilter', 'wasm'), undefined);
    const dyShape = [c.x[0], info.outHeight, info.outWidth, c.cout];
    const dyv = randomArray(dyShape.reduce((a, b) => a * b, 1));
    const expected = refFilterGrad(xv, c.x, dyv, dyShape, c.k, c.s, info.padInfo.top, info.padInfo.left);
    const got = tf.tidy(() => {
      const x = tf.tensor(xv, c.x);
      const dy = tf.tensor(dyv, dyShape);
      const attrs = { strides: c.s, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: fshape };
      return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    });
    assert.deepEqual(got.shape, fshape, c.why);
    assertRelClose(got.dataSync(), expected, 1e-5, c.why);
    got.dispose();
  }
});

test('gather trains on wasm: its gradient (UnsortedSegmentSum, bridged) adds rows per index', async () => {
  await initBackend('wasm', { nativeGemm: false });
  const table = tf.variable(tf.tensor2d([[1, 2], [3, 4], [5, 6]]));
  const idx = tf.tensor1d([2, 0, 2, 2], 'int32');
  const { grads } = tf.variableGrads(() => tf.sum(tf.mul(tf.gather(table, idx), tf.tensor2d([[1, 10], [100, 1000], [1, 1], [2, 2]]))), [table]);
  assert.deepEqual(Array.from(grads[table.name].dataSync()), [100, 1000, 0, 0, 4, 13]);
  tf.dispose([table, idx, grads[table.name]]);
});

test('cpu fast matrix product matches the float64 reference, transposes and batches included', async () => {
  await initBackend('cpu', { nativeGemm: false });
  for (const c of MATMUL_CASES) {
    const av = randomArray(c.a.reduce((x, y) => x * y, 1));
    const bv = randomArray(c.b.reduce((x, y) => x * y, 1));
    const ref = refMatMul(av, c.a, bv, c.b, c.ta, c.tb);
    const got = tf.tidy(() => tf.matMul(tf.tensor(av, c.a), tf.tensor(bv, c.b), c.ta, c.tb));
    assert.deepEqual(got.shape, ref.shape, `${c.why}: shape`);
    assertRelClose(got.dataSync(), ref.values, 1e-6, `cpu ${c.why}`);
    got.dispose();
  }
});
