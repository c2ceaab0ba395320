import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { CpcStepPredictors } from '../../src/methods/heads.ts';
import { Rng } from '../../src/util/rng.ts';
import { BACKENDS, checkGradients, randn, useBackend } from './setup.ts';

for (const backend of BACKENDS) {
  describe(`CPC step predictors (${backend})`, () => {
    before(() => useBackend(backend));

    test('prediction k is context x W_k; initialisation bound 1/sqrt(C); gradient', () => {
      const h = new CpcStepPredictors(4, 3, 5, new Rng(1));
      const w = h.weight.dataSync();
      assert.ok(w.every((v) => Math.abs(v) <= 0.5), 'U(-1/sqrt(4), 1/sqrt(4))');
      assert.equal(h.numParameters(), 5 * 4 * 3);
      const c = randn([6, 4], 2) as tf.Tensor2D;
      const p = h.predict(c);
      assert.deepEqual(p.shape, [5, 6, 3]);
      const cd = c.dataSync(), pd = p.dataSync();
      for (let k = 0; k < 5; k++) for (let n = 0; n < 6; n++) for (let z = 0; z < 3; z++) {
        let s = 0;
        for (let i = 0; i < 4; i++) s += cd[n * 4 + i] * w[k * 12 + i * 3 + z];
        assert.ok(Math.abs(pd[k * 18 + n * 3 + z] - s) < 1e-5);
      }
      checkGradients((x) => tf.sum(tf.square(h.predict(x as tf.Tensor2D))), [c], { samples: 8 });
      assert.throws(() => h.predict(randn([2, 5], 3) as tf.Tensor2D), /context width 5, expected 4/);
    });
  });
}
