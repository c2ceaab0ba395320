import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, backendInfo } from '../../src/engine/backend.ts';
import { OrtGemm } from '../../src/engine/ort-gemm.ts';
import { DENSE_MIN_MACS, denseProvider, denseProductsServed, setDenseMinMacs, setDenseProvider } from '../../src/engine/ort-matmul.ts';
import { MultiHeadAttention } from '../../src/nn/attention.ts';
import { Linear } from '../../src/nn/linear.ts';
import { Rng } from '../../src/util/rng.ts';
import { gradCheck, randomVariable } from '../nn/gradcheck.ts';
import { trainTinyEncoder } from './tiny-training.ts';
import { refProduct } from './reference-product.ts';
import { assertRelClose } from '../helpers/close.ts';

/**
 * Dense products on onnxruntime's GEMM (src/engine/ort-gemm.ts, ort-matmul.ts): each routed product
 * against a float64 product and against the engine's own kernels (relative error <= 1e-5 of the
 * largest reference value), gradients through it, a short training run with it on and off, bitwise
 * determinism, and the fallback when the installed onnxruntime-node is not a tested version.
 */

const rng = new Rng(14);
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

const CASES: { a: number[]; b: number[]; ta: boolean; tb: boolean; why: string }[] = [
  { a: [67, 45], b: [45, 39], ta: false, tb: false, why: 'plain 2-D' },
  { a: [67, 45], b: [39, 45], ta: false, tb: true, why: 'dA = dY W^T' },
  { a: [45, 67], b: [45, 39], ta: true, tb: false, why: 'dW = X^T dY' },
  { a: [45, 67], b: [39, 45], ta: true, tb: true, why: 'both transposed' },
  { a: [1, 41, 9], b: [1, 41, 29], ta: true, tb: false, why: 'size-1 batch, A transposed' },
  { a: [6, 11, 8], b: [6, 9, 8], ta: false, tb: true, why: 'attention scores Q K^T' },
  { a: [6, 11, 9], b: [6, 11, 8], ta: true, tb: false, why: 'attention backward S^T V' },
  { a: [2, 3, 11, 8], b: [2, 3, 8, 5], ta: false, tb: false, why: 'rank-4 batch' },
  { a: [4, 10, 8], b: [8, 5], ta: false, tb: false, why: 'batch of A folded into rows' },
  { a: [4, 8, 10], b: [8, 5], ta: true, tb: false, why: 'batch of A, transposed: one product per item' },
  { a: [1, 10, 8], b: [4, 8, 5], ta: false, tb: false, why: 'batch of B only' },
  { a: [4, 10, 8], b: [1, 5, 8], ta: false, tb: true, why: 'size-1 batch of B, transposed' },
];

test('OrtGemm: every kind of product equals a float64 product, twice the same bits; another version is refused', () => {
  for (const threads of [1, 2]) {
    const gemm = OrtGemm.open(threads);
    assert.ok(gemm instanceof OrtGemm, `open(${threads}): ${String(gemm)}`);
    const m = 67, k = 45, n = 39;
    for (let i = 0; i < 8; i++) {
      const transA = !!(i & 1), transB = !!(i & 2);
      const a = rng.normalArray(m * k);
      const b = rng.normalArray(k * n);
      const bias = i & 4 ? rng.normalArray(n) : undefined;
      const out = new Float32Array(m * n);
      gemm.gemm({ a, b, out, m, k, n, transA, transB, bias });
      assertRelClose(out, refProduct(a, transA ? [k, m] : [m, k], b, transB ? [n, k] : [k, n], transA, transB, bias), 1e-5, `gemm ${i}`);
      const again = new Float32Array(m * n);
      gemm.gemm({ a, b, out: again, m, k, n, transA, transB, bias });
      assert.deepEqual(again, out, `gemm ${i} on ${threads} thread(s): a second run gives other bits`);
    }
    assert.throws(() => gemm.gemm({ a: new Float32Array(6), b: new Float32Array(6), out: new Float32Array(4), m: 2, k: 3, n: 3, transA: false, transB: false }), /operand sizes 6, 6, 4 do not fit m=2 k=3 n=3/);
  }
  const refused = OrtGemm.open(1, '1.31.0');
  assert.equal(refused, 'onnxruntime-node 1.31.0 is not a version this engine was tested with (1.30.x)');
});

for (const backend of ['wasm', 'cpu'] as const) {
  test(`${backend}: routed BatchMatMul and _FusedMatMul equal float64 and the engine's own kernels`, async () => {
    await initBackend(backend, { threads: 2 });
    const gemm = denseProvider();
    assert.ok(gemm, 'no onnxruntime GEMM');
    assert.match(backendInfo()!.description, /products on onnxruntime 1\.30\.\d+, 2 threads\)$/);
    setDenseMinMacs(backend, 0);
    const tensors = tf.memory().numTensors;
    const dataIds = tf.engine().backend.numDataIds();
    try {
      for (const c of CASES) {
        const av = rng.normalArray(size(c.a));
        const bv = rng.normalArray(size(c.b));
        const ref = refProduct(av, c.a, bv, c.b, c.ta, c.tb);
        const before = denseProductsServed();
        const got = tf.tidy(() => tf.matMul(tf.tensor(av, c.a), tf.tensor(bv, c.b), c.ta, c.tb).dataSync());
        // On wasm, batches of small items on both sides stay on the engine's one-call SIMD kernel.
        const bothBatched = size(c.a.slice(0, -2)) > 1 && size(c.b.slice(0, -2)) > 1;
        assert.equal(denseProductsServed(), before + (backend === 'wasm' && bothBatched ? 0 : 1), `${c.why}: served by onnxruntime or not`);
        setDenseProvider(null);
        const own = tf.tidy(() => tf.matMul(tf.tensor(av, c.a), tf.tensor(bv, c.b), c.ta, c.tb).dataSync());
        setDenseProvider(gemm);
        assertRelClose(got, ref, 1e-5, `${c.why} vs float64`);
        assertRelClose(got, own, 1e-5, `${c.why} vs the engine's kernel`);
      }
      const relu = (x: number) => Math.max(0, x);
      const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
      const fused: { act: 'linear' | 'relu' | 'sigmoid' | 'leakyrelu' | 'prelu'; f: (x: number, j: number) => number; ta: boolean; tb: boolean; a: number[]; b: number[] }[] = [
        { act: 'linear', f: (x) => x, ta: false, tb: false, a: [3, 40, 24], b: [24, 36] },
        { act: 'relu', f: relu, ta: true, tb: false, a: [24, 40], b: [24, 36] },
        { act: 'sigmoid', f: sigmoid, ta: false, tb: true, a: [40, 24], b: [36, 24] },
        { act: 'leakyrelu', f: (x) => (x < 0 ? 0.1 * x : x), ta: false, tb: false, a: [40, 24], b: [24, 36] },
        { act: 'prelu', f: (x, j) => (x < 0 ? (j / 36) * x : x), ta: false, tb: false, a: [40, 24], b: [24, 36] },
      ];
      const preluW = Float32Array.from({ length: 36 }, (_, j) => j / 36);
      for (const c of fused) {
        const av = rng.normalArray(size(c.a));
        const bv = rng.normalArray(size(c.b));
        const bias = rng.normalArray(36);
        const lin = refProduct(av, c.a, bv, c.b, c.ta, c.tb, bias);
        const ref = lin.map((x, i) => c.f(x, i % 36));
        const run = () => tf.tidy(() => tf.fused.matMul({
          a: tf.tensor(av, c.a) as tf.Tensor as tf.Tensor2D, b: tf.tensor(bv, c.b) as tf.Tensor as tf.Tensor2D, transposeA: c.ta, transposeB: c.tb, bias: tf.tensor1d(bias),
          activation: c.act, leakyreluAlpha: 0.1, preluActivationWeights: c.act === 'prelu' ? tf.tensor1d(preluW) : undefined,
        }).dataSync());
        const before = denseProductsServed();
        const got = run();
        assert.equal(denseProductsServed(), before + 1, `fused ${c.act}: not served by onnxruntime`);
        setDenseProvider(null);
        const own = run();
        setDenseProvider(gemm);
        assertRelClose(got, ref, 1e-5, `fused ${c.act} vs float64`);
        assertRelClose(got, own, 1e-5, `fused ${c.act} vs the engine's kernel`);
      }
      // On cpu (wasm has neither): int32 operands stay on the cpu kernel, and a bias that is not a
      // vector over the columns goes through the product without bias, then Add.
      if (backend === 'cpu') {
        const before = denseProductsServed();
        const ints = tf.tidy(() => tf.matMul(tf.ones([20, 30], 'int32') as tf.Tensor2D, tf.ones([30, 40], 'int32') as tf.Tensor2D).dataSync());
        assert.equal(ints[0], 30);
        assert.equal(denseProductsServed(), before);
        const full = tf.tidy(() => tf.fused.matMul({ a: tf.ones([20, 30]) as tf.Tensor2D, b: tf.ones([30, 40]) as tf.Tensor2D, bias: tf.ones([20, 40]) }).dataSync());
        assert.equal(full[0], 31);
        assert.equal(denseProductsServed(), before + 1);
      }
      // Below the crossover the engine's kernels keep the product.
      setDenseMinMacs(backend, DENSE_MIN_MACS[backend]);
      const small = denseProductsServed();
      tf.tidy(() => tf.matMul(tf.ones([8, 8]), tf.ones([8, 8])).dataSync());
      assert.equal(denseProductsServed(), small);
      assert.equal(tf.memory().numTensors, tensors, 'tensors left behind');
      assert.equal(tf.engine().backend.numDataIds(), dataIds, 'backend data left behind');
    } finally {
      setDenseMinMacs(backend, DENSE_MIN_MACS[backend]);
    }
  });

  test(`${backend}: gradients through onnxruntime's products (Linear with bias, attention) pass the finite-difference check`, async () => {
    await initBackend(backend, { threads: 1 });
    assert.ok(denseProvider());
    setDenseMinMacs(backend, 0);
    try {
      const r = new Rng(5);
      const lin = new Linear(12, 20, { rng: r });
      const x = randomVariable(r, [3, 7, 12]);
      const served = denseProductsServed();
      gradCheck(`Linear ${backend}`, new Map([['x', x], ...lin.namedParameters()]), () => lin.forward(x as tf.Tensor as tf.Tensor3D));
      const mha = new MultiHeadAttention(8, 2, { rng: r });
      const h = randomVariable(r, [2, 5, 8]);
      gradCheck(`MHA ${backend}`, new Map([['x', h], ...mha.namedParameters()]), () => mha.forward(h as tf.Tensor as tf.Tensor3D));
      assert.ok(denseProductsServed() > served + 20, 'the checks did not go through onnxruntime');
      tf.dispose([x, h]);
      lin.dispose();
      mha.dispose();
    } finally {
      setDenseMinMacs(backend, DENSE_MIN_MACS[backend]);
    }
  });
}

test('wasm training: losses equal with the GEMM on and off (float tolerance), the same bits in two runs and on 1 or 2 threads', async () => {
  const byThreads: Float32Array[] = [];
  for (const threads of [1, 2]) {
    await initBackend('wasm', { threads });
    const gemm = denseProvider();
    assert.ok(gemm);
    const served = denseProductsServed();
    const on = trainTinyEncoder(6);
    assert.ok(denseProductsServed() > served, 'the training run did not use onnxruntime');
    const again = trainTinyEncoder(6);
    assert.deepEqual(again.losses, on.losses, `${threads} thread(s): two runs differ`);
    assert.deepEqual(again.weights, on.weights, `${threads} thread(s): final weights differ between two runs`);
    setDenseProvider(null);
    const off = trainTinyEncoder(6);
    setDenseProvider(gemm);
    assert.ok(on.losses[5] < on.losses[0], `loss did not fall: ${on.losses}`);
    for (let i = 0; i < on.losses.length; i++) assert.ok(Math.abs(on.losses[i] - off.losses[i]) <= 1e-4 * Math.abs(off.losses[i]), `step ${i}: ${on.losses[i]} vs ${off.losses[i]}`);
    byThreads.push(on.weights);
  }
  // MLAS splits a product over output rows and columns only, so the thread count does not change a sum.
  assert.deepEqual(byThreads[1], byThreads[0], 'final weights differ between 1 and 2 threads');
});

test('fallback: another onnxruntime-node version prints one line, the engine kernels run, training works', () => {
  const child = fileURLToPath(new URL('./tiny-training-child.ts', import.meta.url));
  const r = spawnSync(process.execPath, ['--import', 'tsx', child], { env: { ...process.env, SPEECH_SSL_SIMULATE_ORT_VERSION: '1.29.0' }, encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stderr.trim().split('\n').filter((l) => l.length > 0);
  assert.deepEqual(lines, ['onnxruntime-node 1.29.0 is not a version this engine was tested with (1.30.x); dense products stay on the engine\'s kernels']);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { losses: number[]; served: number; description: string };
  assert.equal(out.served, 0);
  assert.equal(out.description, 'wasm (SIMD, 1 thread)');
  assert.ok(out.losses[out.losses.length - 1] < out.losses[0], `loss did not fall: ${out.losses}`);
});
