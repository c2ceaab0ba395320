import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.ts';
import { hasGeluKernels } from '../../src/engine/gelu-kernels.ts';
import { gelu, geluComposite } from '../../src/nn/gelu.ts';
import { Rng } from '../../src/util/rng.ts';

/**
 * The engine's GELU kernels (one SIMD pass forward and one backward on wasm, a JS loop on cpu) against
 * a float64 reference of x Phi(x) and Phi(x) + x phi(x) and against the composite Erf/Exp form, on sizes
 * that are and are not multiples of the 4-float SIMD group (the tail is finished in JS).
 */

/** erf in float64 by its Maclaurin series (|z| <= 3) and the continued fraction of erfc beyond. */
function erf64(z: number): number {
  const a = Math.abs(z);
  let r: number;
  if (a <= 3) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 200; n++) {
      term *= (-a * a) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    let f = 0;
    for (let n = 60; n >= 1; n--) f = n / 2 / (a + f);
    r = 1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / (a + f);
  }
  return z < 0 ? -r : r;
}

const phiCdf = (x: number) => 0.5 * (1 + erf64(x / Math.SQRT2));
const phiPdf = (x: number) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);

for (const backend of ['wasm', 'cpu'] as const) {
  test(`GELU kernels (${backend}): values and gradients match float64 x Phi(x), Phi(x) + x phi(x), tails included`, async () => {
    await initBackend(backend);
    assert.ok(hasGeluKernels(), `the ${backend} backend has the GELU kernels once the engine is set up`);
    const rng = new Rng(5);
    for (const n of [4096, 4099, 3, 1]) {
      const values = Float32Array.from({ length: n }, () => 4 * rng.normal());
      const x = tf.tensor1d(values);
      const dy = tf.tensor1d(Float32Array.from({ length: n }, () => rng.normal()));
      const y = gelu(x).dataSync();
      const dx = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(gelu(v), dy)))(x).dataSync();
      const dyv = dy.dataSync();
      for (let i = 0; i < n; i++) {
        const v = values[i];
        const yRef = v * phiCdf(v);
        const dxRef = dyv[i] * (phiCdf(v) + v * phiPdf(v));
        assert.ok(Math.abs(y[i] - yRef) <= 1e-6 * (1 + Math.abs(yRef)), `n ${n}: gelu(${v}) = ${y[i]}, float64 ${yRef}`);
        assert.ok(Math.abs(dx[i] - dxRef) <= 1e-6 * (1 + Math.abs(dxRef)), `n ${n}: gelu'(${v}) dy = ${dx[i]}, float64 ${dxRef}`);
      }
      tf.dispose([x, dy]);
    }
  });

  test(`GELU kernels (${backend}): agree with the composite form on a layer-sized tensor; non-finite inputs`, async () => {
    await initBackend(backend);
    const x = tf.mul(tf.randomNormal([2, 50, 103], 0, 1, 'float32', 9), 3);
    const a = gelu(x).dataSync();
    const b = geluComposite(x).dataSync();
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 2e-6, `[${i}]: ${a[i]} vs composite ${b[i]}`);
    const special = gelu(tf.tensor1d([NaN, Infinity, -100, 100, 0, -0, 1e-30, 1e-8])).dataSync();
    assert.ok(Number.isNaN(special[0]), 'NaN stays NaN');
    assert.equal(special[1], Infinity);
    assert.equal(Math.abs(special[2]), 0);
    assert.equal(special[3], 100);
    assert.equal(special[4], 0);
    assert.ok(Math.abs(special[7] - 0.5e-8) < 1e-14, `gelu(1e-8) = ${special[7]}`);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      tf.grad((v: tf.Tensor) => tf.sum(gelu(v)))(x);
    });
    assert.equal(tf.memory().numTensors, before, 'no tensor left behind by forward + backward');
    x.dispose();
  });
}
