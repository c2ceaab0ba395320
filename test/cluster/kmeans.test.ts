import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.ts';
import { miniBatchKMeans } from '../../src/cluster/mini-batch-kmeans.ts';
import { fullKMeans } from '../../src/cluster/full-kmeans.ts';
import { kmeans } from '../../src/cluster/kmeans.ts';
import { kmeansPlusPlus, searchSortedLeft } from '../../src/cluster/kmeans-plus-plus.ts';
import { createDistanceKernel } from '../../src/cluster/distance-kernel.ts';
import { assignNearest } from '../../src/cluster/assign-nearest.ts';
import { resolveKMeansConfig, KMEANS_DEFAULTS } from '../../src/cluster/kmeans-config.ts';
import { InputError } from '../../src/util/errors.ts';
import { plantedClusters, worstCentreError } from './planted.ts';

test('defaults are the fairseq HuBERT recipe settings', () => {
  const c = resolveKMeansConfig();
  assert.deepEqual(
    { k: c.k, batch: c.batchSize, maxIter: c.maxIter, noImp: c.maxNoImprovement, nInit: c.nInit, reassign: c.reassignmentRatio, tol: c.tol, init: c.initSize },
    { k: 100, batch: 10000, maxIter: 100, noImp: 100, nInit: 20, reassign: 0, tol: 0, init: null },
  );
  assert.equal(KMEANS_DEFAULTS.algorithm, 'auto');
  assert.throws(() => resolveKMeansConfig({ k: 0 }), (e: Error) => e instanceof InputError && /k: expected a positive integer/.test(e.message));
  assert.throws(() => resolveKMeansConfig({ reassignmentRatio: 2 }), /reassignmentRatio/);
});

test('searchSortedLeft is numpy searchsorted side=left', () => {
  const a = Float64Array.from([1, 2, 2, 5]);
  assert.deepEqual([0, 1, 1.5, 2, 3, 5, 6].map((v) => searchSortedLeft(a, v)), [0, 0, 1, 1, 3, 3, 4]);
});

test('k-means++ seeds one centre in each of k well-separated planted clusters', () => {
  const k = 12, d = 5;
  const p = plantedClusters(k, 40, d, 0.5, 3);
  const ker = createDistanceKernel(d);
  const c = kmeansPlusPlus(ker, p.data, Int32Array.from({ length: p.n }, (_, i) => i), k, new Rng(1));
  const labels = new Int32Array(p.n);
  assignNearest(ker, p.data, p.n, c, k, { labels });
  // Each seed is a data point of a different planted cluster.
  const hit = new Set<number>();
  for (let j = 0; j < k; j++) {
    let best = Infinity, bi = -1;
    for (let i = 0; i < p.n; i++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += (p.data[i * d + t] - c[j * d + t]) ** 2;
      if (s < best) [best, bi] = [s, i];
    }
    assert.equal(best, 0, 'seed is a data point');
    hit.add(p.truth[bi]);
  }
  assert.equal(hit.size, k);
});

test('mini-batch k-means recovers planted clusters and is deterministic for a seed', () => {
  const k = 20, d = 8;
  const p = plantedClusters(k, 150, d, 1, 11);
  const cfg = { k, batchSize: 256, nInit: 3, seed: 7 };
  const a = miniBatchKMeans(p.data, p.n, d, cfg);
  assert.equal(a.algorithm, 'minibatch');
  assert.equal(a.kernel, 'wasm-simd');
  // Every planted centre has a centroid within about one noise radius (expected error ~ d * 1 / 150).
  assert.ok(worstCentreError(a.centroids, p.centres, k, d) < 0.5, `worst centre error ${worstCentreError(a.centroids, p.centres, k, d)}`);
  // Inertia close to the noise floor n * d * spread^2.
  assert.ok(a.inertia < 1.1 * p.n * d, `inertia ${a.inertia} vs floor ${p.n * d}`);
  const b = miniBatchKMeans(p.data, p.n, d, cfg);
  assert.deepEqual(b.centroids, a.centroids);
  assert.equal(b.inertia, a.inertia);
  const c = miniBatchKMeans(p.data, p.n, d, { ...cfg, seed: 8 });
  assert.notDeepEqual(c.centroids, a.centroids);
});

test('mini-batch inertia is within 2% of full k-means (ml-kmeans) on planted data', () => {
  const k = 10, d = 6;
  const p = plantedClusters(k, 300, d, 3, 21);
  const full = fullKMeans(p.data, p.n, d, { k, seed: 1 });
  assert.equal(full.algorithm, 'full');
  const mb = miniBatchKMeans(p.data, p.n, d, { k, batchSize: 500, nInit: 5, seed: 1 });
  assert.ok(Math.abs(mb.inertia - full.inertia) / full.inertia < 0.02, `mini-batch ${mb.inertia} vs full ${full.inertia}`);
  // The JS fallback kernel runs the same algorithm.
  const js = miniBatchKMeans(p.data, p.n, d, { k, batchSize: 500, nInit: 5, seed: 1 }, { kernel: createDistanceKernel(d, { forceJs: true }) });
  assert.equal(js.kernel, 'js');
  assert.ok(Math.abs(js.inertia - mb.inertia) / mb.inertia < 0.02);
});

test('step budget and early stopping follow scikit-learn', () => {
  const d = 3;
  const p = plantedClusters(4, 100, d, 1, 2);
  // No early stop: floor(max_iter * n / batch) steps.
  const r = miniBatchKMeans(p.data, p.n, d, { k: 4, batchSize: 64, maxIter: 3, maxNoImprovement: 0, nInit: 1 });
  assert.equal(r.steps, Math.floor((3 * 400) / 64));
  assert.equal(r.stoppedBy, 'max_iter');
  // With max_no_improvement 1 it stops at the first step whose smoothed inertia does not improve.
  const e = miniBatchKMeans(p.data, p.n, d, { k: 4, batchSize: 64, maxIter: 50, maxNoImprovement: 1, nInit: 1 });
  assert.equal(e.stoppedBy, 'max_no_improvement');
  assert.ok(e.steps < Math.floor((50 * 400) / 64));
  // tol > 0 stops once centres no longer move.
  const t = miniBatchKMeans(p.data, p.n, d, { k: 4, batchSize: 400, maxIter: 200, maxNoImprovement: 0, nInit: 1, tol: 1e-3 });
  assert.equal(t.stoppedBy, 'tol');
});

test('reassignment (ratio > 0) moves small clusters onto batch rows; ratio 0 never does', () => {
  const d = 2;
  // Two tight blobs; k = 3 so one cluster gets starved unless reassigned.
  const rng = new Rng(4);
  const n = 400;
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = i < 200 ? 0 : 10;
    data[i * d] = c + rng.normal(0, 0.1);
    data[i * d + 1] = rng.normal(0, 0.1);
  }
  // One blob holds two clusters (about half the count of the other): with ratio 0.9 they get reassigned.
  const logs: string[] = [];
  const r = miniBatchKMeans(data, n, d, { k: 3, batchSize: 50, nInit: 1, reassignmentRatio: 0.9, maxIter: 5, maxNoImprovement: 0 }, { log: (m) => logs.push(m) });
  assert.ok(logs.some((m) => /reassigned \d+ small cluster/.test(m)), logs.join('\n'));
  // Reassigned centres are batch rows, so every centroid stays on the data.
  for (let j = 0; j < 3; j++) assert.ok(Math.abs(r.centroids[j * d + 1]) < 1 && (Math.abs(r.centroids[j * d]) < 1 || Math.abs(r.centroids[j * d] - 10) < 1));
  const none: string[] = [];
  miniBatchKMeans(data, n, d, { k: 3, batchSize: 50, nInit: 1, maxIter: 5, maxNoImprovement: 0 }, { log: (m) => none.push(m) });
  assert.ok(!none.some((m) => /reassigned/.test(m)));
});

test('auto picks full k-means when all rows fit in one batch; too few rows is an error', () => {
  const p = plantedClusters(3, 20, 2, 0.2, 9);
  assert.equal(kmeans(p.data, p.n, 2, { k: 3 }).algorithm, 'full');
  assert.equal(kmeans(p.data, p.n, 2, { k: 3, batchSize: 16, nInit: 1 }).algorithm, 'minibatch');
  assert.throws(() => miniBatchKMeans(p.data, 2, 2, { k: 3 }), /2 rows cannot make 3 clusters/);
});
