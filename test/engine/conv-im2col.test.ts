import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.ts';
import { denseProvider, setDenseProvider } from '../../src/engine/ort-matmul.ts';
import { convGradientsServed } from '../../src/engine/conv-im2col.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertRelClose } from '../helpers/close.ts';

/**
 * The filter gradient on onnxruntime's GEMM (src/engine/conv-im2col.ts, used by the wasm
 * Conv2DBackpropFilter kernel when the native GEMM is on), checked with dx (XNNPACK either way): dx and dW of
 * sum(conv2d(x, W) * dy) against a float64 loop and against the engine's XNNPACK-based kernels (the same
 * kernels with the GEMM provider off), on strides, paddings and kernel sizes the encoders use; results the
 * same bits when repeated.
 */

interface Case {
  x: [number, number, number, number];
  k: [number, number];
  cout: number;
  stride: [number, number];
  pad: 'same' | 'valid' | number;
  why: string;
}

const CASES: Case[] = [
  { x: [2, 8, 8, 3], k: [3, 3], cout: 5, stride: [1, 1], pad: 1, why: 'the ResNet stem (3x3, stride 1, pad 1)' },
  { x: [3, 8, 8, 4], k: [3, 3], cout: 6, stride: [2, 2], pad: 1, why: 'a strided block (3x3, stride 2, pad 1)' },
  { x: [2, 7, 7, 4], k: [3, 3], cout: 3, stride: [2, 2], pad: 1, why: 'odd side, stride 2' },
  { x: [2, 8, 8, 4], k: [1, 1], cout: 6, stride: [2, 2], pad: 0, why: 'a projection shortcut (1x1, stride 2)' },
  { x: [2, 9, 6, 2], k: [5, 3], cout: 4, stride: [2, 1], pad: 'same', why: 'non-square kernel and strides, same padding' },
  { x: [1, 10, 10, 3], k: [4, 4], cout: 2, stride: [4, 4], pad: 'valid', why: 'ViT-style patches (valid, stride = kernel)' },
];

function reference(x: Float32Array, w: Float32Array, dy: Float32Array, c: Case, info: tf.backend_util.Conv2DInfo) {
  const [B, H, W, C] = c.x;
  const [KH, KW] = c.k;
  const { outHeight: OH, outWidth: OW } = info;
  const CO = c.cout;
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  for (let b = 0; b < B; b++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let kh = 0; kh < KH; kh++)
          for (let kw = 0; kw < KW; kw++) {
            const ih = oh * c.stride[0] + kh - info.padInfo.top;
            const iw = ow * c.stride[1] + kw - info.padInfo.left;
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
            for (let ci = 0; ci < C; ci++)
              for (let co = 0; co < CO; co++) {
                const g = dy[((b * OH + oh) * OW + ow) * CO + co];
                const xi = ((b * H + ih) * W + iw) * C + ci;
                const wi = ((kh * KW + kw) * C + ci) * CO + co;
                dw[wi] += x[xi] * g;
                dx[xi] += w[wi] * g;
              }
          }
  return { dx, dw };
}

function gradients(x: tf.Tensor4D, w: tf.Tensor4D, dy: tf.Tensor, c: Case) {
  const f = (xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, c.stride, c.pad as 'same', 'NHWC'), dy));
  const [dx, dw] = tf.grads(f)([x, w]);
  const out = { dx: Float32Array.from(dx.dataSync()), dw: Float32Array.from(dw.dataSync()) };
  tf.dispose([dx, dw]);
  return out;
}

test('conv filter gradient on the native GEMM (wasm): dx and dW match float64 and the XNNPACK kernels, bitwise repeatable', async () => {
  await initBackend('wasm', { threads: 1 });
  const gemm = denseProvider();
  assert.ok(gemm, 'onnxruntime GEMM serves the wasm backend (a tested onnxruntime-node is a dependency)');
  const rng = new Rng(21);
  for (const c of CASES) {
    const [B, H, W, C] = c.x;
    const wShape: [number, number, number, number] = [c.k[0], c.k[1], C, c.cout];
    const info = tf.backend_util.computeConv2DInfo(c.x, wShape, c.stride, 1, c.pad as 'same', undefined, false, 'channelsLast');
    const xv = Float32Array.from({ length: B * H * W * C }, () => rng.normal());
    const wv = Float32Array.from({ length: wShape.reduce((p, q) => p * q, 1) }, () => rng.normal());
    const dyv = Float32Array.from({ length: B * info.outHeight * info.outWidth * c.cout }, () => rng.normal());
    const x = tf.tensor4d(xv, c.x);
    const w = tf.tensor4d(wv, wShape);
    const dy = tf.tensor(dyv, [B, info.outHeight, info.outWidth, c.cout]);
    const before = convGradientsServed();
    const viaGemm = gradients(x, w, dy, c);
    assert.equal(convGradientsServed() - before, 1, `${c.why}: dW went through the GEMM path`);
    const again = gradients(x, w, dy, c);
    setDenseProvider(null);
    let stock: { dx: Float32Array; dw: Float32Array };
    try {
      const served = convGradientsServed();
      stock = gradients(x, w, dy, c);
      assert.equal(convGradientsServed(), served, `${c.why}: the provider off, the XNNPACK kernels ran`);
    } finally {
      setDenseProvider(gemm);
    }
    const ref = reference(xv, wv, dyv, c, info);
    assertRelClose(viaGemm.dx, ref.dx, 1e-5, `${c.why}: dx vs float64`);
    assertRelClose(viaGemm.dw, ref.dw, 1e-5, `${c.why}: dW vs float64`);
    assertRelClose(viaGemm.dx, stock.dx, 1e-5, `${c.why}: dx vs the XNNPACK kernel`);
    assertRelClose(viaGemm.dw, stock.dw, 1e-5, `${c.why}: dW vs the XNNPACK kernel`);
    assert.deepEqual(again.dx, viaGemm.dx, `${c.why}: dx repeatable`);
    assert.deepEqual(again.dw, viaGemm.dw, `${c.why}: dW repeatable`);
    tf.dispose([x, w, dy]);
  }
});
