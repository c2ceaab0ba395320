import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.ts';
import { BatchNorm1d } from '../../src/nn/batch-norm.ts';
import { MLP } from '../../src/nn/mlp.ts';
import { gelu } from '../../src/nn/gelu.ts';
import { Rng } from '../../src/util/rng.ts';
import { gradCheck, randomVariable } from './gradcheck.ts';

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
}

const EPS = 1e-5;

for (const backend of ['cpu', 'wasm'] as const) {
  test(`BatchNorm1d (${backend}): batch statistics in training (biased variance, eps inside the root), running statistics (unbiased, momentum 0.1), eval uses them`, async () => {
    await initBackend(backend);
    const bn = new BatchNorm1d(2);
    assert.deepEqual([...bn.namedParameters().keys()], ['weight', 'bias', 'running_mean', 'running_var']);
    assert.deepEqual([...bn.trainableParameters().keys()], ['weight', 'bias']);
    bn.weight.assign(tf.tensor1d([2, -1]));
    bn.bias.assign(tf.tensor1d([0.5, 0]));
    const x = tf.tensor2d([[1, 2], [3, 6], [5, 10]]);
    // Feature 0: mean 3, biased var 8/3; feature 1: mean 6, biased var 32/3.
    const r0 = 1 / Math.sqrt(8 / 3 + EPS);
    const r1 = 1 / Math.sqrt(32 / 3 + EPS);
    const y = bn.forward(x);
    close(y.dataSync(), [2 * -2 * r0 + 0.5, -1 * -4 * r1, 0.5, 0, 2 * 2 * r0 + 0.5, -1 * 4 * r1], 1e-5, 'train y');
    // running <- 0.9 running + 0.1 batch; the variance unbiased: (8/3) * 3/2 = 4, (32/3) * 3/2 = 16.
    close(bn.runningMean.dataSync(), [0.3, 0.6], 1e-6, 'running_mean');
    close(bn.runningVar.dataSync(), [0.9 + 0.4, 0.9 + 1.6], 1e-6, 'running_var');
    // Evaluation: (x - running_mean) / sqrt(running_var + eps) * w + b, rows independent; stats unchanged.
    bn.eval();
    const one = bn.forward(tf.tensor2d([[1, 2]]));
    close(one.dataSync(), [(2 * (1 - 0.3)) / Math.sqrt(1.3 + EPS) + 0.5, (-1 * (2 - 0.6)) / Math.sqrt(2.5 + EPS)], 1e-5, 'eval y');
    close(bn.runningMean.dataSync(), [0.3, 0.6], 1e-6, 'running_mean after eval');
    // A frozen-statistics layer normalises with the batch but leaves the running statistics alone.
    bn.train();
    bn.updateRunningStats = false;
    const again = bn.forward(x);
    close(again.dataSync(), y.dataSync(), 1e-6, 'same batch, same output');
    close(bn.runningVar.dataSync(), [1.3, 2.5], 1e-6, 'running_var untouched');
    // Leading axes are rows: [1, 3, 2] gives the same as [3, 2].
    const y3 = bn.forward(tf.reshape(x, [1, 3, 2]));
    assert.deepEqual(y3.shape, [1, 3, 2]);
    close(y3.dataSync(), y.dataSync(), 1e-6, '3-D input');
    assert.throws(() => bn.forward(tf.tensor2d([[1, 2]])), /training mode needs at least 2 rows/);
    assert.throws(() => bn.forward(tf.zeros([3, 4])), /4 features on its last axis, layer expects 2/);
    tf.dispose([x, y, one, again, y3]);
    bn.dispose();
  });

  test(`BatchNorm1d (${backend}): training-mode gradients (through the batch mean and variance) match finite differences; no tensor leaks`, async () => {
    await initBackend(backend);
    const rng = new Rng(11);
    const bn = new BatchNorm1d(5);
    bn.weight.assign(tf.tensor(rng.normalArray(5), [5]));
    bn.bias.assign(tf.tensor(rng.normalArray(5), [5]));
    const x = randomVariable(rng, [6, 5], 2);
    gradCheck(`BatchNorm1d ${backend}`, new Map([['x', x], ...bn.trainableParameters()]), () => bn.forward(x));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(bn.forward(x))) as tf.Scalar, [bn.weight, bn.bias]);
      tf.dispose([value, ...Object.values(grads)]);
    }
    assert.equal(tf.memory().numTensors, before, 'tensor count after training forwards with running-statistics updates');
    x.dispose();
    bn.dispose();
  });

  test(`MLP (${backend}) with norm batch: Linear -> BatchNorm1d -> GELU -> Linear, names norms.0.{weight,bias,running_mean,running_var}; gradients`, async () => {
    await initBackend(backend);
    const mlp = new MLP([3, 4, 2], { norm: 'batch', rng: new Rng(6) });
    assert.deepEqual([...mlp.namedParameters().keys()], [
      'layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias',
      'norms.0.weight', 'norms.0.bias', 'norms.0.running_mean', 'norms.0.running_var',
    ]);
    assert.equal(mlp.batchNorms().length, 1);
    const x = randomVariable(new Rng(7), [8, 3], 3);
    const expected = tf.tidy(() => mlp.linears[1].forward(gelu(mlp.norms[0].forward(mlp.linears[0].forward(x)))));
    const y = mlp.forward(x);
    close(y.dataSync(), expected.dataSync(), 1e-6, 'mlp');
    // Batch norm makes the head invariant to the scale of each column of layers.0.weight, whose columns are
    // short (|w| ~ 0.5 at init): the curvature along them is ~1/|w|^2, so a smaller step than the default
    // 1e-2 keeps the central difference's O(eps^2) error under the tolerance (1e-2 misses by ~5%).
    gradCheck(`MLP batch ${backend}`, new Map([['x', x], ...mlp.trainableParameters()]), () => mlp.forward(x), { eps: 2e-3 });
    // The old spellings still build: true is layer norm, absent is none.
    assert.equal(new MLP([3, 4, 2], { norm: true }).norm, 'layer');
    assert.equal(new MLP([3, 4, 2]).norms.length, 0);
    tf.dispose([x, y, expected]);
    mlp.dispose();
  });
}
