import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.ts';
import { Linear } from '../../src/nn/linear.ts';
import { LayerNorm } from '../../src/nn/layer-norm.ts';
import { GroupNorm } from '../../src/nn/group-norm.ts';
import { gelu } from '../../src/nn/gelu.ts';
import { Dropout } from '../../src/nn/dropout.ts';
import { MLP } from '../../src/nn/mlp.ts';
import { Rng } from '../../src/util/rng.ts';
import { gradCheck, randomVariable } from './gradcheck.ts';

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`Linear (${backend}): y = x W + b with W stored [in, out]; gradients match finite differences`, async () => {
    await initBackend(backend);
    const lin = new Linear(3, 2, { rng: new Rng(1) });
    assert.deepEqual([...lin.namedParameters().keys()], ['weight', 'bias']);
    assert.deepEqual(lin.weight.shape, [3, 2]);
    lin.weight.assign(tf.tensor2d([[1, 2], [3, 4], [5, 6]]));
    lin.bias!.assign(tf.tensor1d([0.5, -1]));
    const y = lin.forward(tf.tensor3d([[[1, 0, -1]], [[2, 1, 0]]]));
    assert.deepEqual(y.shape, [2, 1, 2]);
    // [1,0,-1] W = [1-5, 2-6] = [-4, -4]; [2,1,0] W = [5, 8]; plus bias.
    close(y.dataSync(), [-3.5, -5, 5.5, 7], 1e-6, 'y');
    const rng = new Rng(2);
    const x = randomVariable(rng, [2, 3, 3]);
    gradCheck(`Linear ${backend}`, new Map([['x', x], ...lin.namedParameters()]), () => lin.forward(x));
    tf.dispose([y, x]);
    lin.dispose();
  });

  test(`LayerNorm (${backend}): normalises the last axis like torch (biased variance, eps inside the root); gradients`, async () => {
    await initBackend(backend);
    const ln = new LayerNorm(4);
    ln.weight.assign(tf.tensor1d([1, 2, 0.5, -1]));
    ln.bias.assign(tf.tensor1d([0, 1, 0, 0.25]));
    const y = ln.forward(tf.tensor2d([[1, 2, 3, 4]]));
    // mean 2.5, biased var 1.25, rstd = 1/sqrt(1.25 + 1e-5).
    const r = 1 / Math.sqrt(1.25 + 1e-5);
    close(y.dataSync(), [-1.5 * r, 2 * -0.5 * r + 1, 0.5 * 0.5 * r, -1 * 1.5 * r + 0.25], 1e-5, 'y');
    const rng = new Rng(3);
    const x = randomVariable(rng, [2, 3, 4], 2);
    ln.weight.assign(tf.tensor(rng.normalArray(4), [4]));
    gradCheck(`LayerNorm ${backend}`, new Map([['x', x], ...ln.namedParameters()]), () => ln.forward(x));
    tf.dispose([y, x]);
    ln.dispose();
  });

  test(`GELU (${backend}): exact erf form (PyTorch approximate='none'), gradient`, async () => {
    await initBackend(backend);
    // x * Phi(x): Phi(1) = 0.841344746, Phi(-0.5) = 0.308537539, Phi(2) = 0.977249868, Phi(-3) = 0.001349898.
    const y = gelu(tf.tensor1d([1, -0.5, 2, -3, 0]));
    close(y.dataSync(), [0.841344746, -0.15426877, 1.954499736, -0.004049694, 0], 2e-6, 'gelu');
    const x = randomVariable(new Rng(4), [5, 7], 2);
    gradCheck(`gelu ${backend}`, new Map([['x', x]]), () => gelu(x));
    tf.dispose([y, x]);
  });

  test(`GroupNorm (${backend}): per-sample, per-group statistics over time; gradients`, async () => {
    await initBackend(backend);
    const gn = new GroupNorm(2, 4);
    // Sample 0, group 0 = channels 0,1 over 2 frames: values 1,2,3,4 -> mean 2.5, var 1.25.
    const y = gn.forward(tf.tensor3d([[[1, 2, 10, 10], [3, 4, 10, 14]]]));
    const r = 1 / Math.sqrt(1.25 + 1e-5);
    const r2 = 1 / Math.sqrt(3 + 1e-5); // group 1: 10,10,10,14 -> mean 11, var 3
    close(y.dataSync(), [-1.5 * r, -0.5 * r, -r2, -r2, 0.5 * r, 1.5 * r, -r2, 3 * r2], 1e-5, 'y');
    const x = randomVariable(new Rng(5), [2, 5, 4]);
    gn.weight.assign(tf.tensor1d([1, -2, 0.5, 3]));
    gradCheck(`GroupNorm ${backend}`, new Map([['x', x], ...gn.namedParameters()]), () => gn.forward(x as tf.Tensor as tf.Tensor3D));
    tf.dispose([y, x]);
    gn.dispose();
  });

  test(`MLP (${backend}): named layers, hidden GELU, gradients`, async () => {
    await initBackend(backend);
    const mlp = new MLP([3, 5, 2], { rng: new Rng(6) });
    assert.deepEqual([...mlp.namedParameters().keys()], ['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias']);
    const x = randomVariable(new Rng(7), [4, 3]);
    const expected = tf.tidy(() => mlp.linears[1].forward(gelu(mlp.linears[0].forward(x))));
    const y = mlp.forward(x);
    close(y.dataSync(), expected.dataSync(), 1e-6, 'mlp');
    gradCheck(`MLP ${backend}`, new Map([['x', x], ...mlp.namedParameters()]), () => mlp.forward(x));
    tf.dispose([x, y, expected]);
    mlp.dispose();
  });
}

test('Dropout: seeded, inverted scaling, identity in eval, same mask for the same seed', async () => {
  await initBackend('cpu');
  const x = tf.ones([1000]);
  const a = new Dropout(0.3, new Rng(9)).forward(x).dataSync();
  const b = new Dropout(0.3, new Rng(9)).forward(x).dataSync();
  assert.deepEqual(Array.from(a), Array.from(b));
  const kept = Array.from(a).filter((v) => v !== 0);
  for (const v of kept) assert.ok(Math.abs(v - 1 / 0.7) < 1e-6);
  assert.ok(Math.abs(kept.length / 1000 - 0.7) < 0.05, `kept ${kept.length}`);
  const d = new Dropout(0.3, new Rng(9));
  d.eval();
  assert.deepEqual(Array.from(d.forward(x).dataSync()), Array.from(x.dataSync()));
  x.dispose();
});
