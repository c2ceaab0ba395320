import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { copyParameters, cosineEmaMomentum, emaUpdate } from '../../src/methods/ema.ts';
import { Module } from '../../src/nn/module.ts';
import { Rng } from '../../src/util/rng.ts';
import { BACKENDS, useBackend } from './setup.ts';

class Tiny extends Module {
  constructor(seed: number, trainable = true) {
    super();
    const r = new Rng(seed);
    this.param('w', tf.tensor2d(r.normalArray(6), [2, 3]), trainable);
    this.child('head', new Bias(r, trainable));
  }
}
class Bias extends Module {
  constructor(r: Rng, trainable: boolean) {
    super();
    this.param('b', tf.tensor1d(r.normalArray(3)), trainable);
  }
}

const f32 = Math.fround;

for (const backend of BACKENDS) {
  describe(`EMA target (${backend})`, () => {
    before(() => useBackend(backend));

    test('cosine schedule: tau0 at step 0, (1 + tau0)/2 half-way, 1 at the end', () => {
      assert.equal(cosineEmaMomentum(0, 1000), 0.99);
      assert.ok(Math.abs(cosineEmaMomentum(500, 1000) - 0.995) < 1e-15);
      assert.equal(cosineEmaMomentum(1000, 1000), 1);
      assert.equal(cosineEmaMomentum(2000, 1000), 1, 'clamped past the end');
      // a quarter of the way: 1 - 0.01 * (cos(pi/4) + 1) / 2
      assert.ok(Math.abs(cosineEmaMomentum(250, 1000, 0.99) - (1 - 0.01 * (Math.SQRT1_2 + 1) / 2)) < 1e-15);
      assert.ok(Math.abs(cosineEmaMomentum(0, 10, 0.9, 0.95) - 0.9) < 1e-15);
    });

    test('update is exactly tau * target + (1 - tau) * online in float32, for every named parameter', () => {
      const online = new Tiny(1);
      const target = new Tiny(2, false);
      const t0 = [...target.namedParameters().values()].map((v) => Float32Array.from(v.dataSync()));
      const o = [...online.namedParameters().values()].map((v) => Float32Array.from(v.dataSync()));
      const tau = 0.9937;
      emaUpdate(target, online, tau);
      [...target.namedParameters().values()].forEach((v, k) => {
        const got = v.dataSync();
        for (let i = 0; i < got.length; i++) {
          const expected = f32(f32(t0[k][i] * f32(tau)) + f32(o[k][i] * f32(1 - tau)));
          assert.equal(got[i], expected, `parameter ${k} entry ${i}`);
        }
      });
      // tau = 1 keeps the target, tau = 0 copies the online network.
      const before = [...target.namedParameters().values()].map((v) => Array.from(v.dataSync()));
      emaUpdate(target, online, 1);
      assert.deepEqual([...target.namedParameters().values()].map((v) => Array.from(v.dataSync())), before);
      emaUpdate(target, online, 0);
      assert.deepEqual([...target.namedParameters().values()].map((v) => Array.from(v.dataSync())), o.map((a) => Array.from(a)));
    });

    test('copy, name checks, and no tensor leak', () => {
      const online = new Tiny(3);
      const target = new Tiny(4, false);
      copyParameters(target, online);
      assert.deepEqual(target.namedParameters().get('head.b')?.dataSync(), online.namedParameters().get('head.b')?.dataSync());
      const n = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) emaUpdate(target, online, 0.99);
      assert.equal(tf.memory().numTensors, n);
      const stray = new Map([['w', tf.variable(tf.zeros([2, 3]))], ['extra', tf.variable(tf.zeros([1]))]]);
      assert.throws(() => emaUpdate(stray, online, 0.5), /"extra" has no online parameter/);
      const wrong = new Map([['w', tf.variable(tf.zeros([3, 2]))]]);
      assert.throws(() => emaUpdate(wrong, online, 0.5), /"w" is \[3,2\] in the target and \[2,3\] online/);
      assert.throws(() => emaUpdate(target, online, 1.5), /tau/);
    });
  });
}
