import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.ts';
import { hasLayerNormKernels } from '../../src/engine/layer-norm-kernels.ts';
import { layerNorm, layerNormComposite } from '../../src/nn/layer-norm.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertRelClose } from '../helpers/close.ts';

/**
 * The engine's layer-norm kernels (SIMD passes per row on wasm for widths that are multiples of 4, a JS
 * loop otherwise and on cpu) against a float64 reference of y = (x - mean) / sqrt(var + eps) w + b and its
 * gradients dx, dw, db, and against the composite form.
 */

function reference(x: Float32Array, w: Float32Array, b: Float32Array, dy: Float32Array, dim: number, eps: number) {
  const rows = x.length / dim;
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(dim);
  const db = new Float64Array(dim);
  for (let r = 0; r < rows; r++) {
    const row = Array.from(x.subarray(r * dim, (r + 1) * dim));
    const mean = row.reduce((p, q) => p + q, 0) / dim;
    const rstd = 1 / Math.sqrt(row.reduce((p, q) => p + (q - mean) ** 2, 0) / dim + eps);
    const xh = row.map((v) => (v - mean) * rstd);
    const g = xh.map((_, i) => dy[r * dim + i] * w[i]);
    const a = g.reduce((p, q) => p + q, 0) / dim;
    const c = g.reduce((p, q, i) => p + q * xh[i], 0) / dim;
    for (let i = 0; i < dim; i++) {
      y[r * dim + i] = xh[i] * w[i] + b[i];
      dx[r * dim + i] = (g[i] - a - xh[i] * c) * rstd;
      dw[i] += dy[r * dim + i] * xh[i];
      db[i] += dy[r * dim + i];
    }
  }
  return { y, dx, dw, db };
}

for (const backend of ['wasm', 'cpu'] as const) {
  test(`layer-norm kernels (${backend}): values and gradients match float64, SIMD widths and others`, async () => {
    await initBackend(backend);
    assert.ok(hasLayerNormKernels(), `the ${backend} backend has the layer-norm kernels once the engine is set up`);
    const rng = new Rng(8);
    for (const shape of [[4, 30, 64], [3, 7, 6], [5, 1], [2, 256]]) {
      const dim = shape[shape.length - 1];
      const n = shape.reduce((p, q) => p * q, 1);
      const xv = Float32Array.from({ length: n }, () => 3 * rng.normal() + 1.5);
      const wv = Float32Array.from({ length: dim }, () => 1 + 0.3 * rng.normal());
      const bv = Float32Array.from({ length: dim }, () => rng.normal());
      const dyv = Float32Array.from({ length: n }, () => rng.normal());
      const ref = reference(xv, wv, bv, dyv, dim, 1e-5);
      const [x, w, b, dy] = [tf.tensor(xv, shape), tf.tensor1d(wv), tf.tensor1d(bv), tf.tensor(dyv, shape)];
      const y = layerNorm(x, w, b);
      assert.deepEqual(y.shape, shape);
      assertRelClose(y.dataSync(), ref.y, 2e-6, `[${shape}] y`);
      const [dx, dw, db] = tf.grads((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.mul(layerNorm(xi, wi, bi), dy)))([x, w, b]);
      assertRelClose(dx.dataSync(), ref.dx, 2e-5, `[${shape}] dx`);
      assertRelClose(dw.dataSync(), ref.dw, 2e-5, `[${shape}] dw`);
      assertRelClose(db.dataSync(), ref.db, 2e-6, `[${shape}] db`);
      tf.dispose([x, w, b, dy, y, dx, dw, db]);
    }
  });

  test(`layer-norm kernels (${backend}): agree with the composite form, constant rows stay finite, nothing leaks`, async () => {
    await initBackend(backend);
    const x = tf.concat([tf.mul(tf.randomNormal([6, 128], 0, 1, 'float32', 4), 5), tf.fill([2, 128], 3)]);
    const w = tf.randomNormal([128], 1, 0.2, 'float32', 5);
    const b = tf.randomNormal([128], 0, 1, 'float32', 6);
    const a = layerNorm(x, w, b).dataSync();
    const c = layerNormComposite(x, w, b).dataSync();
    assertRelClose(a, c, 2e-6, 'kernel vs composite');
    for (let i = 6 * 128; i < 8 * 128; i++) assert.ok(Math.abs(a[i] - b.dataSync()[i % 128]) < 1e-6, 'a constant row normalises to the bias');
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      tf.grads((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => tf.sum(layerNorm(xi, wi, bi)))([x, w, b]);
    });
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([x, w, b]);
  });
}
