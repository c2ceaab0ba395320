import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.ts';
import { createDistanceKernel } from '../../src/cluster/distance-kernel.ts';
import { createMiniBatchStepKernel } from '../../src/cluster/mini-batch-step-kernel.ts';
import { BoundedAssignment } from '../../src/cluster/bounded-assignment.ts';

/** Float64 brute force: nearest index (first on ties), its squared distance and the second smallest one. */
function bruteNearest(x: Float32Array, row: number, c: Float32Array, k: number, d: number) {
  let best = Infinity, next = Infinity, label = 0;
  for (let j = 0; j < k; j++) {
    let s = 0;
    for (let t = 0; t < d; t++) s += (x[row * d + t] - c[j * d + t]) ** 2;
    if (s < best) [next, best, label] = [best, s, j];
    else if (s < next) next = s;
  }
  return { label, best, next };
}

const close = (got: number, want: number, scale: number) => Math.abs(got - want) <= 1e-4 * (Math.abs(want) + scale);

for (const [n, d, k] of [[37, 39, 100], [9, 5, 1], [64, 13, 9], [31, 4, 2]]) {
  test(`nearest reports the second nearest distance too (n ${n}, dims ${d}, k ${k}, wasm and js)`, () => {
    const rng = new Rng(n + 10 * k);
    const x = rng.normalArray(n * d, 2), c = rng.normalArray(k * d, 2);
    for (const forceJs of [false, true]) {
      const ker = createDistanceKernel(d, { forceJs });
      ker.loadCentroids(c, k);
      ker.loadPoints(x, null, 0, n);
      const labels = new Int32Array(n), dists = new Float32Array(n), second = new Float32Array(n);
      ker.nearest(labels, dists, second);
      for (let i = 0; i < n; i++) {
        const want = bruteNearest(x, i, c, k, d);
        assert.equal(labels[i], want.label, `${ker.kind} row ${i}`);
        if (k === 1) assert.equal(second[i], Infinity);
        else assert.ok(close(second[i], want.next, 1), `${ker.kind} row ${i}: second ${second[i]} vs ${want.next}`);
      }
    }
  });
}

test('step kernel (wasm and js): bound test, full assignment of listed rows, float64 sums', () => {
  const rng = new Rng(3);
  const n = 500, d = 13, k = 17, batch = 65;
  const x = rng.normalArray(n * d, 3), c = rng.normalArray(k * d, 3);
  const rows = Int32Array.from({ length: batch }, () => rng.int(n));
  rows[5] = rows[6]; // a row drawn twice
  const given = Int32Array.from({ length: batch }, () => rng.int(k));
  for (const forceJs of [false, true]) {
    const ker = createMiniBatchStepKernel(x, n, d, k, batch, { forceJs });
    assert.equal(ker.kind, forceJs ? 'js' : 'wasm-simd');
    ker.loadCentroids(c);
    ker.rows.set(rows);
    ker.gather(batch);
    // Rows never assigned go to the todo list; others stay when their distance is within the bound.
    for (let i = 0; i < batch; i++) {
      ker.assigned[rows[i]] = i % 5 === 0 ? -1 : given[i];
      ker.lowerPlusDrift[rows[i]] = 0.5 + 4 * (i % 7); // bound = this - drift (drift 0.5 below)
    }
    const m = ker.selectUnchanged(batch, 0.5);
    const wantTodo: number[] = [];
    for (let i = 0; i < batch; i++) {
      const a = ker.assigned[rows[i]], label = a < 0 ? 0 : a;
      let s = 0;
      for (let t = 0; t < d; t++) s += (x[rows[i] * d + t] - c[label * d + t]) ** 2;
      assert.equal(ker.labels[i], label);
      assert.ok(close(ker.dists[i], s, 0), `${ker.kind} distance ${i}`);
      const bound = ker.lowerPlusDrift[rows[i]] - 0.5;
      if (!(a >= 0 && bound > 0 && ker.dists[i] * (1 + 1e-5) <= bound * bound)) wantTodo.push(i);
    }
    assert.deepEqual([...ker.todo.subarray(0, m)], wantTodo);
    assert.ok(m > 0 && m < batch, `${ker.kind}: ${m} of ${batch} to assign, a mix expected`);
    ker.labels.set(given);
    for (let q = 0; q < 33; q++) ker.todo[q] = 2 * q; // batch positions; an odd count: the SIMD side pads it
    ker.assignTodo(33);
    for (let q = 0; q < 33; q++) {
      const want = bruteNearest(x, rows[2 * q], c, k, d);
      assert.equal(ker.todoLabels[q], want.label);
      assert.ok(close(ker.todoDists[q], want.best, 1) && close(ker.todoSecond[q], want.next, 1), `${ker.kind} todo ${q}`);
    }
    const sums = new Float64Array(k * d), counts = new Int32Array(k);
    ker.accumulate(batch, sums, counts);
    const wantSums = new Float64Array(k * d), wantCounts = new Int32Array(k);
    for (let i = 0; i < batch; i++) {
      wantCounts[given[i]]++;
      for (let t = 0; t < d; t++) wantSums[given[i] * d + t] += x[rows[i] * d + t];
    }
    assert.deepEqual([...counts], [...wantCounts]);
    for (let q = 0; q < k * d; q++) assert.ok(Math.abs(sums[q] - wantSums[q]) < 1e-9 * (1 + Math.abs(wantSums[q])));
  }
});

test('bounded assignment equals brute force while centres drift, and does skip rows', () => {
  const rng = new Rng(8);
  const n = 400, d = 6, k = 12, batch = 120;
  const x = rng.normalArray(n * d, 4);
  const sqNorms = Float64Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let t = 0; t < d; t++) s += x[i * d + t] ** 2;
    return s;
  });
  const c = rng.normalArray(k * d, 4);
  for (const forceJs of [false, true]) {
    const centres = c.slice();
    const ker = createMiniBatchStepKernel(x, n, d, k, batch, { forceJs });
    const bounds = new BoundedAssignment(sqNorms);
    for (let step = 0; step < 40; step++) {
      for (let i = 0; i < batch; i++) ker.rows[i] = rng.int(n);
      ker.loadCentroids(centres);
      const total = bounds.assign(ker, batch);
      let want = 0;
      for (let i = 0; i < batch; i++) {
        const b = bruteNearest(x, ker.rows[i], centres, k, d);
        assert.equal(ker.labels[i], b.label, `${ker.kind} step ${step} row ${ker.rows[i]}`);
        assert.ok(close(ker.dists[i], b.best, 1));
        want += b.best;
      }
      assert.ok(Math.abs(total - want) <= 1e-4 * want);
      // Move the centres: small random steps, one large jump of one centre every 10 steps.
      let maxMove = 0;
      for (let j = 0; j < k; j++) {
        const scale = step % 10 === 9 && j === step % k ? 3 : 0.02;
        let s = 0;
        for (let t = 0; t < d; t++) {
          const before = centres[j * d + t];
          centres[j * d + t] += rng.normal(0, scale);
          s += (centres[j * d + t] - before) ** 2;
        }
        maxMove = Math.max(maxMove, Math.sqrt(s));
      }
      bounds.centresMoved(maxMove);
    }
    assert.ok(bounds.skipped > bounds.full, `${ker.kind}: skipped ${bounds.skipped}, full ${bounds.full}`);
  }
});
