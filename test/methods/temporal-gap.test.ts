import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../train/fixtures/backend.ts';
import { contextFor, randomBatch } from './fixtures/loss-context.ts';
import { TINY_CPC_ENCODER, TINY_TRANSFORMER, trainOnFsdd } from './fixtures/fsdd-run.ts';
import { buildEncoder } from '../../src/models/registry.ts';
import { temporalGapDefinition, TEMPORAL_GAP_DEFAULTS, type TemporalGapMethod } from '../../src/methods/temporal-gap.ts';
import { SegmentPairSampler } from '../../src/methods/segment-pair-sampler.ts';
import { GapBinsTarget, GapRegressionTarget, gapBin, classShares } from '../../src/methods/gap-targets.ts';
import type { ViewPair } from '../../src/methods/pair-relation.ts';
import { Fields } from '../../src/util/fields.ts';
import { Rng } from '../../src/util/rng.ts';
import type { Encoder } from '../../src/models/encoder.ts';
import type { DataInfo } from '../../src/data/registry.ts';

const INFO: DataInfo = { kind: 'features', inputDims: 20, isWaveform: false, labelSets: [], numTrain: 1, numValid: 0 };
const read = (raw: object) => temporalGapDefinition.readConfig(new Fields(raw, 'methods[2].config', 'run.yaml'));
const build = (raw: object, encoder: Encoder) => temporalGapDefinition.create(read(raw), { key: 'gap', encoder, data: INFO, layer: undefined, rng: new Rng(4), baseDir: '.' }) as TemporalGapMethod;
const pairsWith = (offsets: number[]): ViewPair => ({ first: { x: tf.zeros([1]) }, second: { x: tf.zeros([1]) }, count: offsets.length, offsets: Float32Array.from(offsets), sources: new Int32Array(offsets.length) });

test('temporal gap: bins, order-aware classes and regression targets by hand', async () => {
  await useBackend('cpu');
  assert.deepEqual([0, 1, 2, 4, 5, 9].map((g) => gapBin(g, [2, 5])), [0, 0, 1, 1, 2, 2]);
  // Segments of 4 steps: start offsets 4, -7, 9, -4 are gaps 0, 3, 5, 0, the second view after, before, after, before.
  const p = pairsWith([4, -7, 9, -4]);
  assert.deepEqual(Array.from(new GapBinsTarget(4, [2, 5], false).labels(p)), [0, 1, 2, 0]);
  const ordered = new GapBinsTarget(4, [2, 5], true);
  assert.equal(ordered.outputs, 6);
  assert.deepEqual(Array.from(ordered.labels(p)), [0, 4, 2, 3]);
  assert.deepEqual(Array.from(new GapRegressionTarget(4, 'mse', false).values(p)), [0, 0.75, 1.25, 0]);
  assert.deepEqual(Array.from(new GapRegressionTarget(4, 'mse', true).values(p)), [1, -1.75, 2.25, -1]);
  // Order accuracy counts the half (after/before) of the predicted class.
  const logits = tf.tensor2d([[0, 0, 9, 0, 0, 0], [9, 0, 0, 0, 0, 0], [0, 0, 9, 0, 0, 0], [0, 0, 0, 0, 0, 9]]);
  const r = ordered.loss(logits, p);
  assert.equal(r.metrics.acc, 0.25, 'only row 2 has the exact class');
  assert.equal(r.metrics.acc_order, 0.75);
  r.loss.dispose();
  logits.dispose();
});

test('temporal gap: the segment sampler cuts non-overlapping segments inside each recording, balanced over bins and order', async () => {
  await useBackend('cpu');
  const sampler = new SegmentPairSampler({ segmentLength: 3, balanceEdges: [2, 6], balance: 'recording', pairsPerItem: 4000 });
  const rng = new Rng(9);
  const places = sampler.place([20, 5, 6], rng);
  assert.ok(places.every((p) => p.source !== 1), 'a 5-step recording cannot hold two 3-step segments');
  const bins = [0, 0, 0];
  let before = 0;
  for (const p of places) {
    const len = [20, 5, 6][p.source];
    const d = p.secondStart - p.firstStart;
    const gap = Math.abs(d) - 3;
    assert.ok(gap >= 0 && Math.min(p.firstStart, p.secondStart) >= 0 && Math.max(p.firstStart, p.secondStart) + 3 <= len, JSON.stringify(p));
    if (p.source === 2) assert.equal(gap, 0, 'a 6-step recording only fits gap 0');
    if (p.source === 0) {
      bins[gapBin(gap, [2, 6])]++;
      if (d < 0) before++;
    }
  }
  // The 20-step recording reaches all three bins (longest gap 14): each drawn about a third of the time.
  for (const c of bins) assert.ok(Math.abs(c / 4000 - 1 / 3) < 0.03, `bins ${bins}`);
  assert.ok(Math.abs(before / 4000 - 0.5) < 0.03, `order ${before}`);
  // The views are the batch's frames at the placements.
  const batch = randomBatch(2, 10, 2, 1, [10, 7]);
  const s2 = new SegmentPairSampler({ segmentLength: 3, balanceEdges: null, pairsPerItem: 2 });
  const pairs = s2.sample(batch, new Rng(3));
  const again = s2.place(batch.lengths, new Rng(3));
  assert.equal(pairs.count, 4);
  const first = pairs.first.x.arraySync() as number[][][];
  again.forEach((p, i) => {
    assert.equal(pairs.offsets[i], p.secondStart - p.firstStart);
    for (let t = 0; t < 3; t++) for (let d = 0; d < 2; d++) assert.equal(first[i][t][d], batch.inputs[(p.source * 10 + p.firstStart + t) * 2 + d]);
  });
  tf.dispose([pairs.first.x, pairs.second.x]);
  const short = randomBatch(1, 5, 2, 1);
  assert.equal(s2.sample(short, new Rng(1)).count, 0);
  assert.match(s2.describeEmpty(short), /no recording of the batch is 2 x segmentLength = 6 steps long \(lengths 5\); set data.minFrames to 6/);
});

test('temporal gap: balanced over the batch, every bin about a third of the pairs whatever the lengths; per recording, the near bins dominate', async () => {
  await useBackend('cpu');
  // Segments of 3 steps, edges [2, 6]: longest gaps 14, 0, 3, -1 reach bins {0, 1, 2}, {0}, {0, 1}, none.
  const lengths = [20, 6, 9, 5];
  const share = (balance: 'batch' | 'recording') => {
    const s = new SegmentPairSampler({ segmentLength: 3, balanceEdges: [2, 6], balance, pairsPerItem: 3000 });
    const places = s.place(lengths, new Rng(5));
    assert.equal(places.length, 3 * 3000, 'pairsPerItem pairs for each recording that can give one');
    const bins = [0, 0, 0];
    for (const p of places) {
      const gap = Math.abs(p.secondStart - p.firstStart) - 3;
      assert.ok(p.source !== 3 && gap >= 0 && Math.min(p.firstStart, p.secondStart) >= 0 && Math.max(p.firstStart, p.secondStart) + 3 <= lengths[p.source], JSON.stringify(p));
      bins[gapBin(gap, [2, 6])]++;
    }
    return bins.map((c) => c / places.length);
  };
  for (const v of share('batch')) assert.ok(Math.abs(v - 1 / 3) < 0.02, `batch: ${share('batch')}`);
  // Per recording: each picks uniformly among its own reachable bins, so bin 0 gets (1/3 + 1 + 1/2) / 3.
  const perRecording = share('recording');
  [(1 / 3 + 1 + 1 / 2) / 3, (1 / 3 + 1 / 2) / 3, 1 / 9].forEach((want, i) => assert.ok(Math.abs(perRecording[i] - want) < 0.02, `recording: ${perRecording} vs ${want} at ${i}`));
  // A batch whose recordings reach only bin 0 draws bin 0 alone; without edges the gap is uniform over the recording.
  const near = new SegmentPairSampler({ segmentLength: 3, balanceEdges: [2, 6], pairsPerItem: 50 }).place([7, 6], new Rng(2));
  assert.ok(near.every((p) => Math.abs(p.secondStart - p.firstStart) - 3 < 2));
  // Deterministic for a seed.
  const s = new SegmentPairSampler({ segmentLength: 3, balanceEdges: [2, 6], pairsPerItem: 7 });
  assert.deepEqual(s.place(lengths, new Rng(8)), s.place(lengths, new Rng(8)));
  assert.throws(() => new SegmentPairSampler({ segmentLength: 3, balanceEdges: [2], balance: 'speaker' as 'batch', pairsPerItem: 1 }), /balance must be batch or recording, got speaker/);
});

test('temporal gap: class shares and the symmetric head (order-blind, by hand)', async () => {
  await useBackend('cpu');
  assert.deepEqual(classShares([0, 2, 2, 1, 2], 4), [0.2, 0.2, 0.6, 0]);
  assert.deepEqual(classShares([], 2), [0, 0]);
  const encoder = buildEncoder(TINY_TRANSFORMER, { seed: 3 });
  const D = encoder.outputDim;
  const sym = build({ gapBins: [3], headInput: 'symmetric', headHidden: 0 }, encoder);
  const cat = build({ gapBins: [3], headHidden: 0 }, encoder);
  const rng = new Rng(11);
  const [a, b] = [tf.tensor2d(rng.normalArray(2 * D), [2, D]), tf.tensor2d(rng.normalArray(2 * D), [2, D])];
  // By hand: out = [|a - b|, a * b] W + bias.
  const W = sym.output.weight.arraySync() as number[][];
  const bias = sym.output.bias!.arraySync() as number[];
  const [av, bv] = [a.arraySync(), b.arraySync()];
  const got = sym.predict(a, b).arraySync();
  for (let i = 0; i < 2; i++) {
    for (let k = 0; k < 2; k++) {
      let want = bias[k];
      for (let c = 0; c < D; c++) want += Math.abs(av[i][c] - bv[i][c]) * W[c][k] + av[i][c] * bv[i][c] * W[D + c][k];
      assert.ok(Math.abs(got[i][k] - want) < 1e-4, `${got[i][k]} vs ${want}`);
    }
  }
  const swapped = sym.predict(b, a).arraySync();
  assert.deepEqual(swapped, got, 'symmetric: the same whichever view is first');
  const c1 = cat.predict(a, b).arraySync();
  const c2 = cat.predict(b, a).arraySync();
  assert.ok(Math.abs(c1[0][0] - c2[0][0]) > 1e-3, 'concat: the order changes the output');
  // The loss logs each class's share of the batch beside acc; they sum to 1.
  const batch = randomBatch(3, 30, 20, 6, [30, 25, 17]);
  const out = tf.tidy(() => {
    const o = sym.loss(batch, contextFor(encoder, batch, 2));
    return o.metrics!;
  });
  assert.ok(Math.abs((out.share_0 as number) + (out.share_1 as number) - 1) < 1e-12 && out.share_2 === undefined, JSON.stringify(out));
  tf.dispose([a, b]);
  sym.dispose();
  cat.dispose();
  encoder.dispose();
});

test('temporal gap: config errors name the field', async () => {
  await useBackend('cpu');
  assert.deepEqual(read({}), TEMPORAL_GAP_DEFAULTS);
  assert.throws(() => read({ gapBins: [5, 3] }), /run\.yaml: methods\[2\]\.config\.gapBins: expected ascending edges/);
  assert.throws(() => read({ gapBins: [] }), /config\.gapBins: expected at least one edge/);
  assert.throws(() => read({ target: 'order' }), /config\.target: expected one of bins\|regression/);
  assert.throws(() => read({ segmentLength: 2.5 }), /config\.segmentLength: expected an integer/);
  assert.throws(() => read({ gap: 3 }), /config\.gap: unknown field/);
  assert.throws(() => read({ headInput: 'symmetric', orderAware: true }), /config\.headInput: symmetric pair features cannot tell which segment came first/);
  assert.throws(() => read({ balance: 'speaker' }), /config\.balance: expected one of batch\|recording/);
  assert.throws(() => read({ sampler: { kind: 'relative-position' }, headInput: 'symmetric' }), /config\.headInput: belongs to the segments sampler/);
  const waveformCpc = buildEncoder({ kind: 'cpc', frontend: 'waveform', dim: 8, convLayers: [{ channels: 8, kernel: 160, stride: 160 }] }, { seed: 1 });
  assert.throws(() => build({ segmentLength: 100 }, waveformCpc), /config\.segmentLength: a segment of 100 input steps gives 0 encoder frames/);
  waveformCpc.dispose();
});

test('temporal gap: zero output layer gives log(classes) and accuracy 0; every parameter on the path gets a gradient', async () => {
  await useBackend('cpu');
  const encoder = buildEncoder(TINY_TRANSFORMER, { seed: 3 });
  const batch = randomBatch(3, 30, 20, 6, [30, 25, 17]);
  const zeroed = build({ gapBins: [3, 8], orderAware: true, headHidden: 8 }, encoder);
  for (const v of zeroed.output.namedParameters().values()) v.assign(tf.zerosLike(v));
  const r = tf.tidy(() => {
    const o = zeroed.loss(batch, contextFor(encoder, batch, 2));
    return { loss: o.loss.dataSync()[0], acc: o.metrics!.acc as number, pairs: o.metrics!.pairs as number };
  });
  assert.ok(Math.abs(r.loss - Math.log(6)) < 1e-6, `${r.loss} vs log 6`);
  assert.equal(r.acc, 0);
  assert.equal(r.pairs, 3);
  // A batch with no recording long enough adds a zero loss whose gradient exists and is zero.
  const short = randomBatch(2, 12, 20, 1);
  const { value, grads } = tf.variableGrads(() => zeroed.loss(short, contextFor(encoder, short, 2)).loss, [...zeroed.parameters().values()]);
  assert.equal(value.dataSync()[0], 0);
  assert.ok(Object.values(grads).every((g) => tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]) === 0));
  tf.dispose([value, ...Object.values(grads)]);
  zeroed.dispose();
  for (const raw of [{ pairsPerItem: 3 }, { target: 'regression', orderAware: true, headHidden: 0 }]) {
    const m = build(raw, encoder);
    const params = new Map([...encoder.namedParameters(), ...m.parameters()]);
    const { grads } = tf.variableGrads(() => m.loss(batch, contextFor(encoder, batch, 8)).loss, [...params.values()]);
    for (const [n, v] of params) {
      const g = grads[v.name] ? tf.tidy(() => tf.norm(grads[v.name]).dataSync()[0]) : 0;
      if (n === 'mask_emb') assert.equal(g, 0, 'nothing is masked');
      else assert.ok(g > 0 && Number.isFinite(g), `${JSON.stringify(raw)}: gradient of ${n}: ${g}`);
    }
    tf.dispose(grads);
    m.dispose();
  }
  encoder.dispose();
});

for (const [label, config, metric] of [
  // Balanced per recording the near bins dominate, so part of the fall is the class prior; balanced over
  // the batch the loss starts at log 3 and only the symmetric head (which need not learn to ignore the
  // order first) falls by 10% within these 40 updates.
  ['gap bins, balanced per recording', { segmentLength: 6, gapBins: [4, 12], balance: 'recording', pairsPerItem: 4, headHidden: 32 }, 'acc'],
  ['gap bins, symmetric head', { segmentLength: 6, gapBins: [4, 12], headInput: 'symmetric', pairsPerItem: 4, headHidden: 32 }, 'acc'],
  ['order-aware bins', { segmentLength: 6, gapBins: [8], orderAware: true, pairsPerItem: 4, headHidden: 32 }, 'acc_order'],
  ['order-aware regression', { segmentLength: 6, target: 'regression', orderAware: true, pairsPerItem: 4, headHidden: 32 }, 'mae'],
] as const) {
  test(`temporal gap (${label}): trains on 16 FSDD recordings through the Trainer; loss falls`, async () => {
    await useBackend('wasm');
    const { train, tensorCounts } = await trainOnFsdd(TINY_CPC_ENCODER, [{ name: 'temporal-gap', config }], { steps: 40, lr: 3e-3 });
    const loss = train.map((r) => r['temporal-gap/loss'] as number);
    const m = train.map((r) => r[`temporal-gap/${metric}`] as number);
    assert.ok(loss.at(-1)! < loss[0] * 0.9, `loss falls: ${loss.map((v) => v.toFixed(3)).join(' ')}`);
    if (metric === 'mae') assert.ok(m.at(-1)! < m[0], `mae falls: ${m.join(' ')}`);
    else assert.ok(m.at(-1)! > m[0], `${metric} rises: ${m.join(' ')}`);
    assert.ok(tensorCounts.every((c) => c === tensorCounts[0]), `tensor count flat: ${tensorCounts.join(',')}`);
  });
}
