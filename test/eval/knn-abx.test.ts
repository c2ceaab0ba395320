import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.ts';
import { knnPredict } from '../../src/eval/knn.ts';
import { dtwAverageDistance, abx } from '../../src/eval/abx.ts';

test('kNN: cosine neighbours vote with exp(sim / T)', () => {
  // Train: class 0 along +x, class 1 along +y (norms differ: cosine ignores them).
  const train = Float32Array.from([1, 0, 5, 0.1, 0, 1, 0.1, 3]);
  const labels = Int32Array.from([0, 0, 1, 1]);
  const test = Float32Array.from([2, 0.3, 0.2, 1]);
  const [p2] = knnPredict(train, labels, test, 2, 2, [2]);
  assert.deepEqual([...p2], [0, 1]);
  // k = 3 at test point 0 (close to x): two class-0 neighbours near sim 1 beat one class-1 neighbour.
  // A hand case where weighting matters: 1 very similar class-1 neighbour vs 2 weaker class-0 neighbours.
  const tr = Float32Array.from([1, 0, Math.cos(0.9), Math.sin(0.9), Math.cos(0.9), -Math.sin(0.9)]);
  const lb = Int32Array.from([1, 0, 0]);
  const [w] = knnPredict(tr, lb, Float32Array.from([1, 0]), 2, 2, [3], 0.07);
  // exp(1/0.07) vs 2 exp(cos 0.9 / 0.07): the single close neighbour wins.
  assert.ok(Math.exp(1 / 0.07) > 2 * Math.exp(Math.cos(0.9) / 0.07));
  assert.deepEqual([...w], [1]);
  // With a very high temperature the votes are nearly equal weights: majority (class 0) wins.
  const [flat] = knnPredict(tr, lb, Float32Array.from([1, 0]), 2, 2, [3], 100);
  assert.deepEqual([...flat], [0]);
});

test('DTW average distance on toy sequences (hand-derived)', () => {
  const a = Float32Array.from([1, 0, 1, 0]);
  const b = Float32Array.from([1, 0, 0, 1, 0, 1]);
  // Cheapest path (0,0)->(1,1)->(1,2): frame distances 0, 1, 1 (cosine) -> 2 / 3; angular: 0, .5, .5 -> 1/3.
  assert.ok(Math.abs(dtwAverageDistance(a, b, 2, 'cosine') - 2 / 3) < 1e-12);
  assert.ok(Math.abs(dtwAverageDistance(a, b, 2, 'angular') - 1 / 3) < 1e-12);
  // Same sequence at another speed: distance 0.
  assert.equal(dtwAverageDistance(Float32Array.from([1, 0, 0, 1]), Float32Array.from([1, 0, 1, 0, 0, 1, 0, 1]), 2, 'cosine'), 0);
  assert.throws(() => dtwAverageDistance(new Float32Array(0), a, 2, 'cosine'), /empty sequence/);
});

test('ABX: discriminable categories give 0% error, indistinguishable ones 50%', () => {
  const rng = new Rng(4);
  const dims = 3;
  const make = (category: number, speaker: number, informative: boolean) => {
    const n = 5 + rng.int(4);
    const f = new Float32Array(n * dims);
    for (let t = 0; t < n; t++) {
      f[t * dims + (informative ? category : 0)] = 1;
      f[t * dims + 2] = 0.2 * speaker + 0.05 * rng.normal();
    }
    return { frames: f, category, speaker };
  };
  const items = [];
  for (let s = 0; s < 2; s++) for (let c = 0; c < 2; c++) for (let i = 0; i < 3; i++) items.push(make(c, s, true));
  const good = abx(items, dims, new Rng(1), { distance: 'angular', maxPerCell: 5 });
  assert.equal(good.withinSpeaker, 0);
  assert.equal(good.acrossSpeaker, 0);
  assert.equal(good.withinCells, 4); // 2 speakers x 2 ordered category pairs
  assert.equal(good.acrossCells, 4);
  // Identical frames for both categories (one speaker): every triplet is a tie.
  const same = [];
  for (let c = 0; c < 2; c++) for (let i = 0; i < 3; i++) same.push({ frames: Float32Array.from([1, 0, 0, 1, 0, 0]), category: c, speaker: 0 });
  const r = abx(same, dims, new Rng(1));
  assert.equal(r.withinSpeaker, 0.5);
  assert.ok(Number.isNaN(r.acrossSpeaker));
  // maxPerCell subsamples items.
  assert.equal(abx(items, dims, new Rng(1), { maxPerCell: 2 }).itemsUsed, 8);
});
