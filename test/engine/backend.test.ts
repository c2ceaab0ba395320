import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, backendInfo } from '../../src/engine/backend.ts';

test('initBackend: a native backend that is not installed is reported in one line and the next one runs', async () => {
  const lines: string[] = [];
  const name = await initBackend('tensorflow', { log: (m) => lines.push(m) });
  let native = false;
  try {
    await import('@tensorflow/tfjs-node' as string);
    native = true;
  } catch {
    native = false;
  }
  if (native) {
    assert.equal(name, 'tensorflow');
    return;
  }
  assert.equal(name, 'wasm');
  assert.ok(lines.length >= 1);
  for (const l of lines) assert.ok(!l.includes('\n'), `multi-line message: ${l}`);
  assert.match(lines[0], /backend tensorflow not available \(@tensorflow\/tfjs-node-gpu: .*; @tensorflow\/tfjs-node: .*\)/);
  assert.match(lines[lines.length - 1], /running on wasm \(SIMD, \d+ threads?[;)]/);
  assert.equal(tf.getBackend(), 'wasm');
});

test('initBackend: wasm with 2 threads (the threaded build, loaded for Node) and with 1 (the SIMD build)', async () => {
  assert.equal(await initBackend('wasm', { threads: 2, nativeGemm: false }), 'wasm');
  assert.deepEqual(backendInfo(), { name: 'wasm', threads: 2, description: 'wasm (SIMD, 2 threads)' });
  const a = tf.tensor2d([[1, 2], [3, 4]]);
  assert.deepEqual(Array.from(tf.matMul(a, a, false, true).dataSync()), [5, 11, 11, 25]);
  assert.equal(await initBackend('wasm', { threads: 1, nativeGemm: false }), 'wasm');
  assert.deepEqual(backendInfo(), { name: 'wasm', threads: 1, description: 'wasm (SIMD, 1 thread)' });
  const b = tf.tensor2d([[1, 2], [3, 4]]);
  assert.deepEqual(Array.from(tf.matMul(b, b, true, false).dataSync()), [10, 14, 14, 20]);
  b.dispose();
});

test('initBackend: cpu, and op gradients are registered for every backend', async () => {
  assert.equal(await initBackend('cpu', { nativeGemm: false }), 'cpu');
  assert.deepEqual(backendInfo(), { name: 'cpu', threads: 1, description: 'cpu (pure JS)' });
  for (const k of ['Sum', 'BatchMatMul', 'Conv2D', 'Softmax', 'Erf', 'GatherV2', 'Transpose']) assert.ok(tf.getGradient(k), `gradient of ${k}`);
  const x = tf.variable(tf.tensor1d([1, 2, 3]));
  const { grads } = tf.variableGrads(() => tf.sum(tf.square(x)), [x]);
  assert.deepEqual(Array.from(grads[x.name].dataSync()), [2, 4, 6]);
  tf.dispose([x, grads[x.name]]);
});

test('initBackend: bad choices and thread counts are errors that say what was expected', async () => {
  await assert.rejects(initBackend('gpu' as 'cpu'), /backend: expected one of auto, tensorflow, wasm, cpu, got "gpu"/);
  await assert.rejects(initBackend('wasm', { threads: 0 }), /threads: expected a positive integer or "auto"/);
  await assert.rejects(initBackend('wasm', { threads: 1.5 }), /threads: expected a positive integer or "auto"/);
});
