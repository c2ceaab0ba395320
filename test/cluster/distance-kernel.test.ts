import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.ts';
import { createDistanceKernel } from '../../src/cluster/distance-kernel.ts';
import { simdDistanceModuleBytes } from '../../src/cluster/simd-distance-code.ts';

function brute(x: Float32Array, n: number, c: Float32Array, k: number, d: number) {
  const labels = new Int32Array(n), dists = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += (x[i * d + t] - c[j * d + t]) ** 2;
      if (s < best) [best, labels[i]] = [s, j];
    }
    dists[i] = best;
  }
  return { labels, dists };
}

test('SIMD module validates and the kernel is the wasm one on this platform', () => {
  assert.ok(WebAssembly.validate(simdDistanceModuleBytes(40, { rows: 2, nearestWidth: 8, potentialsWidth: 8 })));
  assert.ok(WebAssembly.validate(simdDistanceModuleBytes(4, { rows: 4, nearestWidth: 4, potentialsWidth: 12 })));
  assert.equal(createDistanceKernel(39).kind, 'wasm-simd');
});

for (const [n, d, k] of [[1, 1, 1], [7, 3, 5], [37, 39, 100], [101, 8, 17], [64, 13, 9]]) {
  test(`nearest: wasm and js kernels agree with brute force (n ${n}, dims ${d}, k ${k})`, () => {
    const rng = new Rng(n * 100 + d);
    const x = rng.normalArray(n * d, 3), c = rng.normalArray(k * d, 3);
    const ref = brute(x, n, c, k, d);
    for (const forceJs of [false, true]) {
      const ker = createDistanceKernel(d, { forceJs });
      ker.loadCentroids(c, k);
      ker.loadPoints(x, null, 0, n);
      const labels = new Int32Array(n), dists = new Float32Array(n);
      const sum = ker.nearest(labels, dists);
      assert.deepEqual([...labels], [...ref.labels], ker.kind);
      for (let i = 0; i < n; i++) assert.ok(Math.abs(dists[i] - ref.dists[i]) <= 1e-4 * (1 + ref.dists[i]), `${ker.kind} row ${i}`);
      const total = ref.dists.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - total) <= 1e-4 * total);
    }
  });
}

test('nearest: gathered rows, exact ties go to the first centroid, and regions survive memory growth', () => {
  const d = 5;
  const c = new Float32Array([1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1, 0, 0, 0, 0]); // centroid 2 duplicates 0
  const x = new Float32Array([0, 0, 0, 0, 0, 2, 0, 0, 0, 0, -3, 0, 0, 0, 0]);
  const ker = createDistanceKernel(d);
  ker.loadCentroids(c, 3);
  ker.loadPoints(x, Int32Array.from([1, 2, 0]));
  const labels = new Int32Array(3), dists = new Float32Array(3);
  ker.nearest(labels, dists);
  assert.deepEqual([...labels], [0, 1, 0]);
  assert.deepEqual([...dists], [1, 4, 1]);
  // Grow the point region a lot: the centroids must still be there.
  const big = new Rng(1).normalArray(50000 * d);
  ker.loadPoints(big, null, 0, 50000);
  ker.loadPoints(x, null, 0, 3);
  ker.nearest(labels, dists);
  assert.deepEqual([...labels], [0, 0, 1]);
});

test('candidate potentials: min(closest, distance) sums, and takeCandidate updates closest and its running sums', () => {
  const rng = new Rng(5);
  const n = 23, d = 6, m = 6;
  const x = rng.normalArray(n * d), cand = rng.normalArray(m * d);
  const closest0 = Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? Infinity : 2 + (i % 5)));
  for (const forceJs of [false, true]) {
    const ker = createDistanceKernel(d, { forceJs });
    ker.loadPoints(x, null, 0, n);
    const closest = closest0.slice();
    const pots = new Float64Array(m);
    ker.candidatePotentials(cand, m, closest, pots);
    for (let j = 0; j < m; j++) {
      let want = 0;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let t = 0; t < d; t++) s += (x[i * d + t] - cand[j * d + t]) ** 2;
        want += Math.min(closest0[i], s);
      }
      assert.ok(Math.abs(pots[j] - want) < 1e-4 * want, `${ker.kind} candidate ${j}: ${pots[j]} vs ${want}`);
    }
    const cumsum = new Float64Array(n);
    ker.takeCandidate(4, closest, cumsum);
    let running = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += (x[i * d + t] - cand[4 * d + t]) ** 2;
      assert.ok(Math.abs(closest[i] - Math.min(closest0[i], s)) < 1e-4 * (1 + s));
      running += closest[i];
      assert.equal(cumsum[i], running, `${ker.kind} cumsum ${i}`);
    }
  }
});

test('accumulate: per-label sums and counts of the loaded points', () => {
  const d = 3;
  const x = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  for (const forceJs of [false, true]) {
    const ker = createDistanceKernel(d, { forceJs });
    ker.loadPoints(x, Int32Array.from([2, 0, 2]));
    const sums = new Float64Array(2 * d), counts = new Int32Array(2);
    ker.accumulate(Int32Array.from([1, 0, 1]), sums, counts);
    assert.deepEqual([...counts], [1, 2]);
    assert.deepEqual([...sums], [1, 2, 3, 14, 16, 18]);
  }
});

test('weighted points count as repeats in the candidate potentials and running sums (wasm and js)', () => {
  const rng = new Rng(12);
  const n = 13, d = 7, m = 6;
  const x = rng.normalArray(n * d, 2), cand = rng.normalArray(m * d, 2);
  const weights = Float32Array.from({ length: n }, (_, i) => 1 + (i % 3));
  const expanded = Int32Array.from([...weights].flatMap((w, i) => Array.from({ length: w }, () => i)));
  const distinct = Int32Array.from({ length: n }, (_, i) => i);
  for (const forceJs of [false, true]) {
    const a = createDistanceKernel(d, { forceJs }), b = createDistanceKernel(d, { forceJs });
    a.loadPoints(x, distinct, 0, n, undefined, weights);
    b.loadPoints(x, expanded);
    const closestA = new Float32Array(n).fill(Infinity), closestB = new Float32Array(expanded.length).fill(Infinity);
    const potsA = new Float64Array(m), potsB = new Float64Array(m);
    a.candidatePotentials(cand, m, closestA, potsA);
    b.candidatePotentials(cand, m, closestB, potsB);
    for (let j = 0; j < m; j++) assert.ok(Math.abs(potsA[j] - potsB[j]) <= 1e-5 * potsB[j], `${a.kind} candidate ${j}: ${potsA[j]} vs ${potsB[j]}`);
    const cumA = new Float64Array(n), cumB = new Float64Array(expanded.length);
    a.takeCandidate(2, closestA, cumA);
    b.takeCandidate(2, closestB, cumB);
    // The running sum after distinct row i equals the expanded one after its last copy.
    let at = -1;
    for (let i = 0; i < n; i++) {
      at += weights[i];
      assert.ok(Math.abs(cumA[i] - cumB[at]) <= 1e-9 * cumB[at], `${a.kind} cumsum ${i}`);
    }
  }
});
