import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.ts';
import { parsePoolings, poolUtterances, poolFrames } from '../../src/eval/pooling.ts';
import { evaluateProbeFolds } from '../../src/eval/fold-evaluation.ts';
import { leaveOneGroupOut } from '../../src/eval/utterance-fields.ts';
import { layerStats, weightedLayerObjective, trainWeightedLayerProbe, predictWeightedLayerProbe } from '../../src/eval/weighted-layer-probe.ts';
import { layerSweep, layerSweepTable } from '../../src/eval/layer-sweep.ts';
import { accuracy } from '../../src/eval/linear-probe.ts';
import { InputError } from '../../src/util/errors.ts';

/** Utterances of `frames` frames, `dims` dims: class c's frames are N(0, (1 + 2c)^2), same mean for all. */
function varianceOnly(rng: Rng, n: number, dims: number): { utts: Float32Array[]; labels: Int32Array; groups: Int32Array } {
  const utts: Float32Array[] = [], labels = new Int32Array(n), groups = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 2, T = 20 + (i % 7);
    labels[i] = c;
    groups[i] = i % 3;
    utts.push(Float32Array.from({ length: T * dims }, () => rng.normal(0, 1 + 2 * c)));
  }
  return { utts, labels, groups };
}

test('pooling: mean and mean+std values by hand; a block of concatenated layers pools in place', () => {
  const x = Float32Array.from([1, 10, 3, 20]); // 2 frames x 2 dims
  const out = new Float32Array(4);
  poolFrames(x, 2, 0, 2, 'mean+std', out);
  assert.deepEqual(Array.from(out), [2, 15, 1, 5]);
  const block = new Float32Array(1);
  poolFrames(x, 2, 1, 1, 'mean', block);
  assert.deepEqual(Array.from(block), [15]);
  assert.deepEqual(parsePoolings('mean,mean+std,mean'), ['mean', 'mean+std']);
  assert.throws(() => parsePoolings('max'), (e: unknown) => e instanceof InputError && /expected mean or mean\+std/.test(e.message));
});

test('mean+std pooling separates classes that differ only in spread; mean pooling cannot', () => {
  const { utts, labels, groups } = varianceOnly(new Rng(3), 120, 4);
  const folds = leaveOneGroupOut(groups, ['a', 'b', 'c']);
  const mean = evaluateProbeFolds(poolUtterances(utts, 'mean', 4), labels, 4, 2, folds).mean.probe;
  const both = evaluateProbeFolds(poolUtterances(utts, 'mean+std', 4), labels, 8, 2, folds).mean.probe;
  assert.ok(mean < 0.7, `mean pooling ${mean}`);
  assert.ok(both > 0.97, `mean+std pooling ${both}`);
});

/** L layers of D dims side by side; only layer `informative` carries the class (in its mean, or in its spread). */
function layered(rng: Rng, n: number, L: number, D: number, informative: number, kind: 'mean' | 'spread'): { utts: Float32Array[]; labels: Int32Array; groups: Int32Array } {
  const utts: Float32Array[] = [], labels = new Int32Array(n), groups = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3, T = 12 + (i % 5);
    labels[i] = c;
    groups[i] = i % 2;
    const x = new Float32Array(T * L * D);
    const offset = Array.from({ length: D }, () => rng.normal(0, 0.5)); // utterance nuisance, shared by the layers
    for (let t = 0; t < T; t++) {
      for (let l = 0; l < L; l++) {
        for (let d = 0; d < D; d++) {
          let v = offset[d] + rng.normal(0, 1) * (l + 1);
          if (l === informative) v = kind === 'mean' ? v + (d === c ? 1.5 : 0) : offset[d] + rng.normal(0, d === c ? 3 : 1);
          x[(t * L + l) * D + d] = v;
        }
      }
    }
    utts.push(x);
  }
  return { utts, labels, groups };
}

test('weighted-layer objective: gradient (W, b and the layer logits) matches finite differences, both poolings', () => {
  const rng = new Rng(5);
  const { utts, labels } = layered(rng, 9, 3, 2, 1, 'spread');
  for (const pool of ['mean', 'mean+std'] as const) {
    const s = layerStats(utts, 3, 2, pool === 'mean+std');
    const rows = Array.from({ length: 9 }, (_, i) => i);
    const o = weightedLayerObjective(s, rows, labels, 3, pool, 0.05);
    const x = Float64Array.from(rng.normalArray(o.size, 0.5));
    const g = new Float64Array(o.size), scratch = new Float64Array(o.size);
    o.objective(x, g);
    for (let j = 0; j < o.size; j++) {
      const h = 1e-5, xp = x.slice(), xm = x.slice();
      xp[j] += h;
      xm[j] -= h;
      const num = (o.objective(xp, scratch) - o.objective(xm, scratch)) / (2 * h);
      assert.ok(Math.abs(num - g[j]) < 1e-6 * Math.max(1, Math.abs(num)), `${pool} param ${j}: ${num} vs ${g[j]}`);
    }
  }
});

test('layer stats: means and covariances equal direct computation', () => {
  const rng = new Rng(8);
  const T = 5, L = 2, D = 3;
  const x = Float32Array.from(rng.normalArray(T * L * D));
  const s = layerStats([x], L, D, true);
  const col = (l: number, d: number) => Array.from({ length: T }, (_, t) => x[(t * L + l) * D + d]);
  for (let d = 0; d < D; d++) {
    for (let l = 0; l < L; l++) {
      for (let k = 0; k < L; k++) {
        const a = col(l, d), b = col(k, d);
        const ma = a.reduce((p, q) => p + q) / T, mb = b.reduce((p, q) => p + q) / T;
        const c = a.reduce((p, v, t) => p + (v - ma) * (b[t] - mb), 0) / T;
        assert.ok(Math.abs(s.cov![(d * L + l) * L + k] - c) < 1e-9);
        if (k === 0) assert.ok(Math.abs(s.means[l * D + d] - ma) < 1e-6);
      }
    }
  }
});

for (const kind of ['mean', 'spread'] as const) {
  test(`weighted sum learns to pick the informative layer (class in the layer's ${kind})`, () => {
    const L = 4, D = 3, informative = 2;
    const { utts, labels } = layered(new Rng(11), 240, L, D, informative, kind);
    const pool = kind === 'mean' ? 'mean' : 'mean+std';
    const s = layerStats(utts, L, D, pool === 'mean+std');
    const train = Array.from({ length: 160 }, (_, i) => i), test = Array.from({ length: 80 }, (_, i) => 160 + i);
    const p = trainWeightedLayerProbe(s, train, Int32Array.from(train, (i) => labels[i]), 3, pool);
    const w = Array.from(p.layerWeights);
    assert.ok(Math.abs(w.reduce((a, b) => a + b) - 1) < 1e-9);
    assert.equal(w.indexOf(Math.max(...w)), informative, `weights ${w.map((v) => v.toFixed(3))}`);
    assert.ok(w[informative] > 0.5, `weight of the informative layer ${w[informative]}`);
    const acc = accuracy(predictWeightedLayerProbe(p, s, test), test.map((i) => labels[i]));
    const single = evaluateProbeFolds(poolUtterances(utts, pool, D, { stride: L * D, offset: informative * D }), labels, pool === 'mean' ? D : 2 * D, 3, [{ name: 't', train, test }]).mean.probe;
    assert.ok(acc > 0.7 && acc >= single - 0.05, `held-out accuracy ${acc}, the informative layer alone ${single}`);
  });
}

test('layer sweep: per-layer rows find the informative layer; table has a row per layer and pooling', () => {
  const L = 3, D = 3;
  const { utts, labels, groups } = layered(new Rng(12), 150, L, D, 1, 'spread');
  const folds = leaveOneGroupOut(groups, ['g0', 'g1']);
  const rows = layerSweep(utts, L, D, labels, 3, folds, ['mean', 'mean+std'], { weightedSum: true });
  assert.equal(rows.length, 2 * (L + 1));
  const acc = (what: string, pool: string) => rows.find((r) => r.what === what && r.pool === pool)!.summary.mean.probe;
  assert.ok(acc('layer 1', 'mean+std') > 0.9, `layer 1 mean+std ${acc('layer 1', 'mean+std')}`);
  assert.ok(acc('layer 1', 'mean') < 0.6);
  assert.ok(acc('layer 0', 'mean+std') < 0.6);
  assert.ok(acc('weighted sum', 'mean+std') > 0.9);
  const table = layerSweepTable(rows);
  assert.match(table, /^features\s+pool\s+g0\s+g1\s+mean\s+pooled\s+layer weights/);
  assert.equal(table.trim().split('\n').length, 1 + rows.length);
});
