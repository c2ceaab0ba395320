import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.ts';
import { batchedGemm } from '../../src/engine/wasm-simd-gemm.ts';
import { gemmWorkerReady, setGemmThreads } from '../../src/engine/wasm-gemm-threads.ts';
import { wasmMemory } from '../../src/engine/wasm-views.ts';
import { gelu } from '../../src/nn/gelu.ts';
import { layerNorm } from '../../src/nn/layer-norm.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertRelClose } from '../helpers/close.ts';

/**
 * The kernels added for the training step: the one-call batched SIMD product (wasm-simd-gemm.ts),
 * the sharing wasm Identity and Square as Multiply: the kernel
 * against a float64 product on its own memory, the wasm BatchMatMul it serves against the cpu
 * backend's kernel (values and gradients through tf.grad), and autodiff's saved tensors on wasm.
 */

const rng = new Rng(11);

test('the SIMD kernel equals a float64 product on tile-exact, ragged and broadcast shapes, shared memory or not', () => {
  const shapes: [number, number, number, number, boolean][] = [
    // batch, M, K, N, A broadcast over the batch
    [2, 8, 5, 16, false], // whole 4x8 tiles only
    [3, 13, 9, 21, false], // ragged rows (13 = 3*4 + 1) and columns (21 = 2*8 + 5)
    [2, 3, 4, 5, false], // smaller than one tile: scalar loop only
    [4, 6, 1, 9, true], // K = 1, one A for every item
  ];
  for (const shared of [false, true]) {
    const memory = new WebAssembly.Memory(shared ? { initial: 2, maximum: 16, shared: true } : { initial: 2 });
    const gemm = batchedGemm(memory);
    const heap = new Float32Array(memory.buffer);
    for (const [batch, m, k, n, broadcastA] of shapes) {
      const aLen = (broadcastA ? 1 : batch) * m * k;
      const bOff = aLen;
      const cOff = bOff + batch * k * n;
      heap.set(rng.normalArray(cOff), 0);
      heap.fill(Number.NaN, cOff, cOff + batch * m * n); // every output element must be written
      gemm(0, 4 * bOff, 4 * cOff, m, k, n, batch, broadcastA ? 0 : 4 * m * k, 4 * k * n, 4 * m * n);
      const expected = new Float64Array(batch * m * n);
      for (let g = 0; g < batch; g++) {
        const ao = broadcastA ? 0 : g * m * k;
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) {
            let s = 0;
            for (let p = 0; p < k; p++) s += heap[ao + i * k + p] * heap[bOff + g * k * n + p * n + j];
            expected[(g * m + i) * n + j] = s;
          }
      }
      assertRelClose(heap.subarray(cOff, cOff + batch * m * n), expected, 1e-6, `shared=${shared} [${batch},${m},${k},${n}]`);
    }
  }
});

async function onBackend<T>(name: 'wasm' | 'cpu', f: () => T): Promise<T> {
  await initBackend(name, { nativeGemm: false });
  return f();
}

const ATTENTION_CASES: { a: number[]; b: number[]; ta: boolean; tb: boolean; why: string }[] = [
  { a: [2, 3, 13, 12], b: [2, 3, 13, 12], ta: false, tb: true, why: 'scores Q K^T' },
  { a: [2, 3, 13, 13], b: [2, 3, 13, 12], ta: false, tb: false, why: 'context P V' },
  { a: [2, 3, 13, 13], b: [2, 3, 13, 12], ta: true, tb: false, why: 'dV = P^T dO' },
  { a: [2, 3, 13, 12], b: [2, 3, 12, 13], ta: true, tb: true, why: 'both transposed' },
  { a: [1, 9, 16], b: [5, 16, 24], ta: false, tb: false, why: 'A broadcast over the batch' },
];

test('wasm batched products on attention layouts equal the cpu kernel', async () => {
  for (const c of ATTENTION_CASES) {
    const av = rng.normalArray(c.a.reduce((x, y) => x * y, 1));
    const bv = rng.normalArray(c.b.reduce((x, y) => x * y, 1));
    const run = () => tf.tidy(() => tf.matMul(tf.tensor(av, c.a), tf.tensor(bv, c.b), c.ta, c.tb));
    const onCpu = await onBackend('cpu', () => {
      const t = run();
      const v = { shape: t.shape, values: t.dataSync().slice() };
      t.dispose();
      return v;
    });
    const onWasm = await onBackend('wasm', () => {
      const t = run();
      const v = { shape: t.shape, values: t.dataSync().slice() };
      t.dispose();
      return v;
    });
    assert.deepEqual(onWasm.shape, onCpu.shape, c.why);
    assertRelClose(onWasm.values, onCpu.values, 1e-5, c.why);
  }
});

/** Gradients of a small attention (+ LayerNorm, GELU: the custom gradients whose saved tensors Identity serves). */
function attentionGrads(q: Float32Array, k: Float32Array, v: Float32Array, shape: number[]): Float32Array[] {
  return tf.tidy(() => {
    const f = (qt: tf.Tensor, kt: tf.Tensor, vt: tf.Tensor) => {
      const p = tf.softmax(tf.matMul(qt, kt, false, true), -1);
      const ctx = tf.matMul(p, vt);
      const d = shape[shape.length - 1];
      const normed = layerNorm(ctx, tf.linspace(0.5, 1.5, d), tf.linspace(-0.1, 0.1, d));
      return tf.sum(tf.mul(gelu(normed), tf.sin(tf.reshape(tf.range(0, normed.size), normed.shape))));
    };
    const grads = tf.grads(f)([tf.tensor(q, shape), tf.tensor(k, shape), tf.tensor(v, shape)]);
    return grads.map((g) => g.dataSync().slice() as Float32Array);
  });
}

test('attention gradients through tf.grad agree on wasm and cpu', async () => {
  const shape = [2, 2, 11, 8];
  const n = shape.reduce((x, y) => x * y, 1);
  const [q, k, v] = [rng.normalArray(n), rng.normalArray(n), rng.normalArray(n)];
  const cpu = await onBackend('cpu', () => attentionGrads(q, k, v, shape));
  const wasm = await onBackend('wasm', () => attentionGrads(q, k, v, shape));
  for (let i = 0; i < 3; i++) assertRelClose(wasm[i], cpu[i], 1e-4, `d${'qkv'[i]}`);
});

test('wasm Identity shares its input: a clone outlives its source, and nothing leaks', async () => {
  await initBackend('wasm', { nativeGemm: false });
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const tensorsBefore = tf.memory().numTensors;
  const idsBefore = backend.numDataIds();
  const x = tf.tensor1d([1, -2, 3.5]);
  const y = tf.clone(x);
  x.dispose();
  assert.deepEqual(Array.from(y.dataSync()), [1, -2, 3.5]);
  const z = tf.add(y, 1);
  assert.deepEqual(Array.from(z.dataSync()), [2, -1, 4.5]);
  tf.dispose([y, z]);
  // a training-like step: saved tensors are Identity outputs, released with the tape
  const init = tf.tensor2d([[0.3, -0.2], [0.1, 0.4]]);
  const w = tf.variable(init);
  init.dispose();
  for (let i = 0; i < 2; i++) {
    const { value, grads } = tf.variableGrads(() => tf.sum(gelu(layerNorm(tf.matMul(tf.ones([3, 2]), w), tf.ones([2]), tf.zeros([2])))) as tf.Scalar, [w]);
    tf.dispose([value, grads[w.name]]);
  }
  w.dispose();
  assert.equal(tf.memory().numTensors, tensorsBefore);
  assert.equal(backend.numDataIds(), idsBefore);
});

test('wasm Square (as Multiply) equals x*x in float32, NaN included, and its gradient is 2 x dy', async () => {
  const xv = Float32Array.from([0, -1.5, 2, 3e-20, -7.25, 1e19, Number.NaN]);
  const w = [1, 2, 3, 4, 5, 6];
  await initBackend('wasm', { nativeGemm: false });
  const { y, dx } = tf.tidy(() => {
    const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.square(t), tf.tensor1d(w))));
    return { y: tf.square(tf.tensor1d(xv)).dataSync().slice(), dx: grad(tf.tensor1d(xv.subarray(0, 6))).dataSync().slice() };
  });
  for (let i = 0; i < xv.length; i++) {
    if (Number.isNaN(xv[i])) assert.ok(Number.isNaN(y[i]), 'square(NaN)');
    else assert.equal(y[i], Math.fround(xv[i] * xv[i]), `square(${xv[i]})`);
  }
  for (let i = 0; i < w.length; i++) {
    const expected = 2 * w[i] * xv[i];
    assert.ok(Math.abs(dx[i] - expected) <= 1e-6 * Math.max(1, Math.abs(expected)), `d square at ${xv[i]}: ${dx[i]} vs ${expected}`);
  }
});

test('wasm Sum over leading axes equals the stock kernel bit for bit (ragged widths, keepDims) and leaves nothing behind', async () => {
  await initBackend('wasm', { nativeGemm: false });
  const before = tf.memory().numTensors;
  for (const [shape, axis] of [[[4, 50, 24], [0, 1]], [[1600, 7], 0], [[3, 5, 2, 9], [1, 0]], [[6, 1], [0]], [[2, 3, 4], [-3, -2]]] as [number[], number | number[]][]) {
    const x = tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1)), shape);
    const axes = (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + shape.length : a));
    for (const keepDims of [false, true]) {
      const got = tf.sum(x, axis, keepDims);
      // The stock kernel's route: the reduced axes moved last, summed along rows (innermost: not the fast path).
      const perm = [...shape.keys()].filter((i) => !axes.includes(i)).concat(axes);
      const stock = tf.tidy(() => {
        const s = tf.sum(tf.transpose(x, perm), axes.map((_, i) => shape.length - axes.length + i));
        return keepDims ? tf.reshape(s, got.shape) : s;
      });
      assert.deepEqual(got.shape, keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i)));
      assert.deepEqual(Array.from(got.dataSync()), Array.from(stock.dataSync()), `sum of [${shape}] over [${axes}]`);
      tf.dispose([got, stock]);
    }
    x.dispose();
  }
  assert.equal(tf.memory().numTensors, before);
});

test('batched products split across this thread and the worker equal the one-thread products bit for bit', async () => {
  await initBackend('wasm', { nativeGemm: false });
  const memory = wasmMemory(tf.backend() as never);
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const warm = tf.matMul(tf.ones([2, 64, 64]), tf.ones([2, 64, 64]));
  warm.dispose();
  const until = Date.now() + 10_000;
  while (shared && !gemmWorkerReady(memory) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  // The threaded wasm build (shared memory, 2+ threads) gets the worker; the single-threaded one does not.
  assert.equal(gemmWorkerReady(memory), shared, `worker ready: ${gemmWorkerReady(memory)}, shared memory: ${shared}`);
  for (const [sa, sb] of [[[8, 4, 50, 40], [8, 4, 40, 24]], [[7, 65, 130], [7, 130, 33]], [[3, 64, 64], [1, 64, 64]]]) {
    const a = tf.tensor(rng.normalArray(sa.reduce((x, y) => x * y, 1)), sa);
    const b = tf.tensor(rng.normalArray(sb.reduce((x, y) => x * y, 1)), sb);
    setGemmThreads(false);
    const one = tf.matMul(a, b);
    setGemmThreads(true);
    const two = tf.matMul(a, b);
    assert.deepEqual(Array.from(two.dataSync()), Array.from(one.dataSync()), `[${sa}] x [${sb}]`);
    tf.dispose([a, b, one, two]);
  }
});
