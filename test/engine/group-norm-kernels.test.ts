import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.ts';
import { hasGroupNormKernels, GROUP_NORM_KERNEL, GROUP_NORM_GRAD_KERNEL, installGroupNormKernels } from '../../src/engine/group-norm-kernels.ts';
import { GroupNorm, groupNormComposite } from '../../src/nn/group-norm.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertRelClose } from '../helpers/close.ts';

/**
 * The engine's group-norm kernels (one JS pass per step on the wasm heap or the cpu arrays) against a
 * float64 reference of y = (x - mean_g) / sqrt(var_g + eps) w + b over [B, T, C] with groups of C / G
 * consecutive channels, and of its gradients dx, dw, db; and against the composite form (the kernels
 * tfjs had before), forward and gradient, on the shapes of the CIFAR ResNet.
 */

function reference(x: Float32Array, w: Float32Array, b: Float32Array, dy: Float32Array, [B, T, C]: number[], G: number, eps: number) {
  const per = C / G;
  const n = T * per;
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(C);
  const db = new Float64Array(C);
  const at = (s: number, t: number, c: number) => (s * T + t) * C + c;
  for (let s = 0; s < B; s++) {
    for (let g = 0; g < G; g++) {
      const idx: number[] = [];
      for (let t = 0; t < T; t++) for (let c = g * per; c < (g + 1) * per; c++) idx.push(at(s, t, c));
      const chan = (i: number) => i % C;
      const mean = idx.reduce((p, i) => p + x[i], 0) / n;
      const rstd = 1 / Math.sqrt(idx.reduce((p, i) => p + (x[i] - mean) ** 2, 0) / n + eps);
      const xh = (i: number) => (x[i] - mean) * rstd;
      const gg = (i: number) => dy[i] * w[chan(i)];
      const a = idx.reduce((p, i) => p + gg(i), 0) / n;
      const e = idx.reduce((p, i) => p + gg(i) * xh(i), 0) / n;
      for (const i of idx) {
        y[i] = xh(i) * w[chan(i)] + b[chan(i)];
        dx[i] = (gg(i) - a - xh(i) * e) * rstd;
        dw[chan(i)] += dy[i] * xh(i);
        db[chan(i)] += dy[i];
      }
    }
  }
  return { y, dx, dw, db };
}

/** y and the gradients of sum(y * dy) with respect to x, w, b. */
function valueAndGrads(f: (x: tf.Tensor3D, w: tf.Tensor, b: tf.Tensor) => tf.Tensor, x: tf.Tensor3D, w: tf.Tensor, b: tf.Tensor, dy: tf.Tensor) {
  const y = f(x, w, b);
  const grads = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(f(xx as tf.Tensor3D, ww, bb), dy)))([x, w, b]);
  return { y: y.dataSync(), dx: grads[0].dataSync(), dw: grads[1].dataSync(), db: grads[2].dataSync() };
}

// [B, T, C], groups, offset of the inputs (a large mean tests cancellation).
const CASES: [number[], number, number][] = [
  [[2, 5, 4], 2, 0],
  [[3, 7, 6], 3, 40],
  [[2, 3, 8], 4, -3],
  [[1, 9, 5], 1, 0],
  [[4, 64, 16], 8, 1.5], // the ResNet's stem at 8x8
  [[2, 16, 64], 8, 0], // its last stage at 4x4
];

for (const backend of ['wasm', 'cpu'] as const) {
  test(`group-norm kernels (${backend}): values and gradients match float64 and the composite form`, async () => {
    await initBackend(backend);
    installGroupNormKernels();
    assert.ok(hasGroupNormKernels(), `the ${backend} backend has the group-norm kernels once the engine is set up`);
    const rng = new Rng(11);
    for (const [shape, groups, offset] of CASES) {
      const [, , C] = shape;
      const n = shape.reduce((p, q) => p * q, 1);
      const xv = Float32Array.from({ length: n }, () => 2 * rng.normal() + offset);
      const wv = Float32Array.from({ length: C }, () => 1 + 0.3 * rng.normal());
      const bv = Float32Array.from({ length: C }, () => rng.normal());
      const dyv = Float32Array.from({ length: n }, () => rng.normal());
      const ref = reference(xv, wv, bv, dyv, shape, groups, 1e-5);
      const [x, w, b, dy] = [tf.tensor3d(xv, shape as [number, number, number]), tf.tensor1d(wv), tf.tensor1d(bv), tf.tensor(dyv, shape)];
      const gn = new GroupNorm(groups, C);
      gn.weight.assign(w);
      gn.bias.assign(b);
      const [ky, kmean, krstd] = tf.engine().runKernel(GROUP_NORM_KERNEL, { x, weight: w, bias: b }, { groups, eps: 1e-5 }) as tf.Tensor[];
      assert.deepEqual(kmean.shape, [shape[0], groups]);
      assert.deepEqual(krstd.shape, [shape[0], groups]);
      // Through the module: the customGrad that pairs the two kernels.
      const mod = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(gn.forward(x), dy)) as tf.Scalar, [gn.weight, gn.bias]);
        const dx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(gn.forward(xx as tf.Tensor3D), dy)))(x);
        return { y: gn.forward(x).dataSync(), dx: dx.dataSync(), dw: grads[gn.weight.name].dataSync(), db: grads[gn.bias.name].dataSync(), value: value.dataSync()[0] };
      });
      const comp = valueAndGrads((xx, ww, bb) => groupNormComposite(xx, ww, bb, groups), x, w, b, dy);
      const what = `${backend} [${shape}] G ${groups} offset ${offset}`;
      assertRelClose(mod.y, ref.y, 2e-5, `${what} y`);
      assertRelClose(mod.dx, ref.dx, 1e-4, `${what} dx`);
      assertRelClose(mod.dw, ref.dw, 1e-4, `${what} dw`);
      assertRelClose(mod.db, ref.db, 1e-5, `${what} db`);
      assertRelClose(comp.y, mod.y, 1e-4, `${what} composite y`);
      assertRelClose(comp.dx, mod.dx, 1e-3, `${what} composite dx`);
      assertRelClose(comp.dw, mod.dw, 1e-3, `${what} composite dw`);
      assertRelClose(comp.db, mod.db, 1e-4, `${what} composite db`);
      assertRelClose(ky.dataSync(), ref.y, 2e-5, `${what} kernel y`);
      tf.dispose([x, w, b, dy, ky, kmean, krstd]);
      gn.dispose();
    }
  });
}

test('group-norm kernels: a channel count the groups do not divide is refused, naming the kernel', async () => {
  await initBackend('cpu');
  installGroupNormKernels();
  const x = tf.zeros([1, 2, 6]);
  assert.throws(() => tf.engine().runKernel(GROUP_NORM_KERNEL, { x, weight: tf.ones([6]), bias: tf.zeros([6]) }, { groups: 4, eps: 1e-5 }), /SpeechSslGroupNorm: 6 channels not divisible by 4 groups/);
  assert.ok(GROUP_NORM_GRAD_KERNEL.length > 0);
  x.dispose();
});
