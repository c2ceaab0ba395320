import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.ts';
import { runSeedings } from '../../src/cluster/seeding-threads.ts';
import { bestSeeding, seedOne, type SeedingJobs } from '../../src/cluster/seedings.ts';
import { miniBatchKMeans } from '../../src/cluster/mini-batch-kmeans.ts';
import { plantedClusters } from './planted.ts';

function jobsFor(seed: number, nInit: number): SeedingJobs {
  const p = plantedClusters(8, 60, 5, 1, seed);
  const rng = new Rng(seed);
  const sqNorms = Float64Array.from({ length: p.n }, (_, i) => {
    let s = 0;
    for (let t = 0; t < 5; t++) s += p.data[i * 5 + t] ** 2;
    return s;
  });
  return {
    data: p.data, n: p.n, dims: 5, k: 8, initSize: 100, sqNorms, forceJs: false,
    validRows: Int32Array.from({ length: 100 }, () => rng.int(p.n)),
    rngStates: Array.from({ length: nInit }, () => rng.fork().getState()),
  };
}

test('seedings: worker threads compute the same seedings as this thread, job by job', () => {
  const jobs = jobsFor(2, 5);
  const one = runSeedings(jobs, 1);
  assert.equal(one.workersUsed, 0);
  // Only workers seed here, so every result below came from a worker thread.
  const workers = runSeedings(jobs, 3, { workersOnly: true });
  assert.equal(workers.leftovers, 0);
  assert.ok(workers.workersUsed >= 1);
  assert.deepEqual([...workers.results.centres], [...one.results.centres]);
  assert.deepEqual([...workers.results.inertias], [...one.results.inertias]);
  assert.deepEqual([...workers.results.done], [1, 1, 1, 1, 1]);
  // A job's result depends on its index alone.
  assert.deepEqual([...seedOne(jobs, 3)], [...one.results.centres.subarray(3 * 8 * 5, 4 * 8 * 5)]);
  const best = bestSeeding(one.results, 5, 8, 5);
  assert.equal(best.inertia, Math.min(...one.results.inertias));
});

test('mini-batch k-means: same centroids with 1 and 2 seeding threads', () => {
  const p = plantedClusters(6, 80, 4, 1, 5);
  const cfg = { k: 6, batchSize: 64, nInit: 4, seed: 3, algorithm: 'minibatch' as const };
  const a = miniBatchKMeans(p.data, p.n, 4, cfg, { threads: 1 });
  const b = miniBatchKMeans(p.data, p.n, 4, cfg, { threads: 2 });
  assert.deepEqual([...b.centroids], [...a.centroids]);
  assert.equal(b.inertia, a.inertia);
});
