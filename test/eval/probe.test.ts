import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.ts';
import { lbfgs } from '../../src/eval/lbfgs.ts';
import { trainLinearProbe, predictLinearProbe, accuracy, softmaxRegressionObjective } from '../../src/eval/linear-probe.ts';
import { evaluateProbeFolds, evaluateKnnFolds } from '../../src/eval/fold-evaluation.ts';
import { leaveOneGroupOut } from '../../src/eval/utterance-fields.ts';

test('L-BFGS minimises the Rosenbrock function', () => {
  const f = (x: Float64Array, g: Float64Array) => {
    const [a, b] = x;
    g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
    g[1] = 200 * (b - a * a);
    return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
  };
  const r = lbfgs(f, Float64Array.from([-1.2, 1]), { maxIter: 1000 });
  assert.ok(r.converged);
  assert.ok(Math.abs(r.x[0] - 1) < 1e-4 && Math.abs(r.x[1] - 1) < 1e-4, `${r.x}`);
});

test('probe objective: gradient matches central finite differences', () => {
  const rng = new Rng(2);
  const n = 7, D = 4, C = 3;
  const z = Float64Array.from(rng.normalArray(n * D));
  const labels = Int32Array.from({ length: n }, (_, i) => i % C);
  const f = softmaxRegressionObjective(z, labels, D, C, 0.1);
  const w = Float64Array.from(rng.normalArray(C * D + C, 0.5));
  const g = new Float64Array(w.length);
  f(w, g);
  const scratch = new Float64Array(w.length);
  for (let j = 0; j < w.length; j++) {
    const h = 1e-5;
    const wp = w.slice(), wm = w.slice();
    wp[j] += h;
    wm[j] -= h;
    const num = (f(wp, scratch) - f(wm, scratch)) / (2 * h);
    assert.ok(Math.abs(num - g[j]) < 1e-7, `param ${j}: ${num} vs ${g[j]}`);
  }
  // At w = 0 the loss is ln C (uniform softmax, no penalty).
  assert.ok(Math.abs(f(new Float64Array(w.length), scratch) - Math.log(C)) < 1e-12);
});

/** Three classes in 6 dims: class means 3 apart on different axes, unit noise, plus a large constant offset and scale per dim (standardisation must handle it). */
function separable(n: number, seed: number) {
  const rng = new Rng(seed);
  const D = 6, x = new Float32Array(n * D), y = new Int32Array(n), g = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 3;
    g[i] = Math.floor(i / (n / 4));
    for (let c = 0; c < D; c++) x[i * D + c] = 1000 + (c + 1) * 50 * ((c === y[i] ? 3 : 0) + rng.normal());
  }
  return { x, y, g, D };
}

test('probe: separable synthetic classes are learned; deterministic; chance-level labels are not', () => {
  const tr = separable(300, 1), te = separable(300, 2);
  const p = trainLinearProbe(tr.x, tr.y, tr.D, 3);
  const acc = accuracy(predictLinearProbe(p, te.x), te.y);
  assert.ok(acc > 0.9, `accuracy ${acc}`);
  const p2 = trainLinearProbe(tr.x, tr.y, tr.D, 3);
  assert.deepEqual(p2.weights, p.weights);
  // Labels unrelated to the features: test accuracy near chance (1/3).
  const shuffled = Int32Array.from(new Rng(9).permutation(300), (i) => tr.y[i]);
  const q = trainLinearProbe(tr.x, shuffled, tr.D, 3);
  const chance = accuracy(predictLinearProbe(q, te.x), Int32Array.from(new Rng(10).permutation(300), (i) => te.y[i]));
  assert.ok(chance < 0.5, `chance accuracy ${chance}`);
});

test('leave-one-group-out folds: probe and kNN summaries', () => {
  const s = separable(240, 3);
  const folds = leaveOneGroupOut(s.g, ['a', 'b', 'c', 'd']);
  assert.deepEqual(folds.map((f) => [f.name, f.train.length, f.test.length]), [['a', 180, 60], ['b', 180, 60], ['c', 180, 60], ['d', 180, 60]]);
  const probe = evaluateProbeFolds(s.x, s.y, s.D, 3, folds);
  assert.ok(probe.mean.probe > 0.9);
  assert.ok(Math.abs(probe.pooled.probe - probe.mean.probe) < 1e-12); // equal fold sizes
  const knn = evaluateKnnFolds(s.x, s.y, s.D, 3, folds, [5, 20], 0.07);
  assert.deepEqual(Object.keys(knn.mean), ['k=5', 'k=20']);
});
