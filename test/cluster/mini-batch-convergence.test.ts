import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MiniBatchConvergence } from '../../src/cluster/mini-batch-convergence.ts';

test('early stop: scikit-learn 1.2 rule on a hand-made batch inertia sequence', () => {
  // batch 10, n 29: alpha = 2 * 10 / 30 = 2/3. Batch inertias are sums over the batch (divided by 10).
  const conv = new MiniBatchConvergence(10, 29, 0, 2);
  const sums = [1000, 100, 40, 120, 30, 90, 90, 10];
  // By hand: step 0 ignored; ewa 10 (min), 10/3 + 8/3 = 6 (min), 2 + 8 = 10 (1 without improvement),
  // 10/3 + 2 = 16/3 (min, counter reset), 16/9 + 6 = 70/9 (1), 70/27 + 6 = 232/27 (2 -> stop at step 6).
  const wantEwa = [null, 10, 6, 10, 16 / 3, 70 / 9, 232 / 27];
  const wantCounter = [0, 0, 0, 1, 0, 1, 2];
  let stoppedAt = -1;
  for (let i = 0; i < sums.length; i++) {
    const stop = conv.update(i, sums[i], 0);
    if (wantEwa[i] === null) assert.equal(conv.ewa, null);
    else assert.ok(Math.abs((conv.ewa ?? NaN) - (wantEwa[i] as number)) < 1e-12, `step ${i}: ewa ${conv.ewa}`);
    assert.equal(conv.noImprovement, wantCounter[i], `step ${i}`);
    if (stop) {
      assert.equal(stop, 'max_no_improvement');
      stoppedAt = i;
      break;
    }
  }
  assert.equal(stoppedAt, 6); // scikit-learn's n_steps_ = 7
});

test('early stop: a tie with the minimum is no improvement; alpha is capped at 1; 0 disables the counter', () => {
  const capped = new MiniBatchConvergence(100, 50, 0, 1); // 2 * 100 / 51 > 1 -> alpha 1: ewa is the last value
  assert.equal(capped.update(0, 500, 0), null);
  assert.equal(capped.update(1, 300, 0), null);
  assert.equal(capped.ewa, 3);
  assert.equal(capped.update(2, 300, 0), 'max_no_improvement'); // equal, not lower
  const never = new MiniBatchConvergence(10, 29, 0, 0);
  for (let i = 0; i < 50; i++) assert.equal(never.update(i, 100 + i, 0), null);
});

test('early stop: tol applies from the second step on, before the inertia counter', () => {
  const conv = new MiniBatchConvergence(10, 1000, 0.5, 100);
  assert.equal(conv.update(0, 10, 0.1), null); // first step: only its inertia is reported
  assert.equal(conv.update(1, 10, 0.6), null);
  assert.equal(conv.update(2, 10, 0.5), 'tol');
});
