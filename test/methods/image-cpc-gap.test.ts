import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.ts';
import { buildRun, resumeLatest } from '../../src/train/run.ts';
import { loadCheckpoint } from '../../src/checkpoint/checkpoint.ts';
import { buildEncoder } from '../../src/models/registry.ts';
import type { Encoder, EncoderInput, EncoderOutput, LocalFeatures } from '../../src/models/encoder.ts';
import { Module } from '../../src/nn/module.ts';
import type { MetricsRow } from '../../src/train/metrics-log.ts';
import type { ImageTrainBatch } from '../../src/data/image-batch.ts';
import type { DataInfo } from '../../src/data/registry.ts';
import { NEIGHBOUR_OFFSETS } from '../../src/image/views/relative-position-sampler.ts';
import { RelativePositionPairSampler } from '../../src/methods/relative-position-pair-sampler.ts';
import { NeighbourTarget } from '../../src/methods/neighbour-target.ts';
import { temporalGapDefinition, type RelativePositionMethod } from '../../src/methods/temporal-gap.ts';
import { cpcDefinition, CpcMethod, CPC_METHOD_DEFAULTS } from '../../src/methods/cpc.ts';
import { PatchGridSequences, IMAGE_CPC_GRID_DEFAULTS } from '../../src/methods/image-cpc.ts';
import { Fields } from '../../src/util/fields.ts';
import { Rng } from '../../src/util/rng.ts';
import { DIGITS_CSV, TINY_RESNET, TINY_VIT, buildMethod, digitsData, lossContext, tinyEncoder, zeroGradients } from './image-setup.ts';

/** One grey image whose pixel at (y, x) is y * 100 + x: a patch's top-left value says where it was cut. */
function coordinateBatch(side: number, copies: number): ImageTrainBatch {
  const data = new Float32Array(side * side);
  for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) data[y * side + x] = y * 100 + x;
  const img = { height: side, width: side, channels: 1, data };
  return {
    kind: 'image',
    images: Array.from({ length: copies }, () => img),
    shape: [side, side, 1],
    labels: new Int32Array(copies).fill(-1),
    indices: Array.from({ length: copies }, (_, i) => i),
    ids: Array.from({ length: copies }, (_, i) => `img${i}`),
    normalize: null,
  } as ImageTrainBatch;
}

test('relative-position pairs: each label is the geometry of its two patches (centre, neighbour, gap, jitter)', async () => {
  await initBackend('cpu');
  const P = 4, gap = 3, jitter = 1, stride = P + gap;
  const sampler = new RelativePositionPairSampler({ patchSize: P, gap, jitter, pairsPerItem: 3 });
  const batch = coordinateBatch(24, 20);
  const target = new NeighbourTarget();
  const seen = new Set<number>();
  tf.tidy(() => {
    const pairs = sampler.sample(batch, new Rng(9));
    assert.equal(pairs.count, 60);
    assert.deepEqual([...pairs.sources.slice(0, 6)], [0, 0, 0, 1, 1, 1]);
    assert.deepEqual(pairs.first.x.shape, [60, P, P, 1]);
    const a = pairs.first.x.dataSync();
    const b = pairs.second.x.dataSync();
    const labels = target.labels(pairs);
    for (let i = 0; i < pairs.count; i++) {
      const [ya, xa] = [Math.floor(a[i * P * P] / 100), a[i * P * P] % 100];
      const [yb, xb] = [Math.floor(b[i * P * P] / 100), b[i * P * P] % 100];
      // Contiguous crops: the last pixel of each patch is P-1 rows and columns on.
      assert.equal(a[(i + 1) * P * P - 1], (ya + P - 1) * 100 + xa + P - 1);
      const [dr, dc] = NEIGHBOUR_OFFSETS[labels[i]];
      assert.deepEqual([pairs.offsets[2 * i], pairs.offsets[2 * i + 1]], [dr, dc]);
      assert.ok(Math.abs(yb - ya - dr * stride) <= 2 * jitter && Math.abs(xb - xa - dc * stride) <= 2 * jitter, `pair ${i}: label ${labels[i]} (${dr}, ${dc}), moved (${yb - ya}, ${xb - xa})`);
      // The patches never touch: along the step's axis they are at least gap - 2 jitter apart.
      if (dr !== 0) assert.ok(Math.abs(yb - ya) >= P + gap - 2 * jitter);
      if (dc !== 0) assert.ok(Math.abs(xb - xa) >= P + gap - 2 * jitter);
      seen.add(labels[i]);
    }
  });
  assert.equal(seen.size, 8, 'all 8 neighbours drawn in 60 pairs');
  assert.throws(() => target.labels({ count: 1, offsets: Float32Array.of(0, 0), sources: new Int32Array(1), first: { x: tf.zeros([1]) }, second: { x: tf.zeros([1]) } }), /\(0, 0\) grid steps apart, not one of the 8 neighbours/);
});

/** Embeds a patch as its mean pixel (one output token of width 1): makes the CPC sequences readable. */
class PatchMeanEncoder extends Module implements Encoder {
  readonly kind = 'patch-mean';
  readonly config = {};
  readonly outputDim = 1;
  readonly numLayers = 0;
  readonly input: EncoderInput = { kind: 'image', channels: 1 };
  outputLength(n: number): number {
    return n;
  }
  features(x: tf.Tensor): LocalFeatures {
    return { features: tf.mean(tf.reshape(x, [x.shape[0], 1, -1]), 2, true) as tf.Tensor3D };
  }
  context(local: LocalFeatures): EncoderOutput {
    return { ...local, output: local.features, hidden: [local.features] };
  }
  forward(x: tf.Tensor): EncoderOutput {
    return this.context(this.features(x));
  }
}

test('image cpc: sequences run down the rows of the patch grid (columns, or pooled rows)', async () => {
  await initBackend('cpu');
  const encoder = new PatchMeanEncoder();
  const batch = coordinateBatch(16, 2);
  // 3 rows x 4 cols of 4px patches, stride 4 - 1 = 3, no jitter: the patch at (r, c) averages to
  // (top0 + 3r + 1.5) * 100 + left0 + 3c + 1.5.
  const grid = { rows: 3, cols: 4, patchSize: 4, gap: -1, jitter: 0 };
  for (const sequence of ['columns', 'rows'] as const) {
    const m = new CpcMethod('m', { ...CPC_METHOD_DEFAULTS, steps: 1, contextDim: 4 }, encoder, true, new Rng(1), new PatchGridSequences({ ...grid, sequence }));
    assert.deepEqual(m.accepts, ['image'], 'the audio CPC class, reading patch grids');
    const z = tf.tidy(() => m.patches!.sequences(batch, lossContext(encoder, batch, 3)).arraySync() as number[][][]);
    assert.equal(z.length, sequence === 'columns' ? 8 : 2);
    for (const s of z) {
      assert.equal(s.length, 3);
      for (let t = 1; t < 3; t++) assert.ok(Math.abs(s[t][0] - s[t - 1][0] - 300) < 1e-2, `${sequence}: the next step is one row (3px) down: ${s.map((v) => v[0])}`);
    }
    if (sequence === 'columns') for (let c = 1; c < 4; c++) assert.ok(Math.abs(z[c][0][0] - z[c - 1][0][0] - 3) < 1e-3, 'sequence c + 1 is the next column of image 0');
    m.dispose();
  }
});

test('temporal-gap with the relative-position sampler: a zero head gives ln 8; the run config is refused with the field named', async () => {
  await initBackend('cpu');
  const data = digitsData(60, 6);
  const batch = await data.train.next();
  const encoder = tinyEncoder(TINY_RESNET);
  const sampler = { kind: 'relative-position', patchSize: 2, gap: 1, jitter: 0 };
  const m = (await buildMethod(temporalGapDefinition, { sampler, headHidden: 0, pairsPerItem: 2 }, encoder, data)) as RelativePositionMethod;
  assert.deepEqual(m.accepts, ['image']);
  for (const v of m.output.namedParameters().values()) v.assign(tf.zerosLike(v));
  const out = tf.tidy(() => {
    const r = m.loss(batch, lossContext(encoder, batch, 1));
    return [r.loss.dataSync()[0], r.metrics!.pairs as number];
  });
  assert.ok(Math.abs(out[0] - Math.log(8)) < 1e-5, `loss ${out[0]}`);
  assert.equal(out[1], 12, '6 images x 2 pairs');
  const read = (raw: object) => temporalGapDefinition.readConfig(new Fields(raw, 'methods[0].config'));
  assert.throws(() => read({ sampler: { ...sampler, segmentLength: 4 } }), /methods\[0\]\.config\.sampler\.segmentLength: unknown field/);
  assert.throws(() => read({ sampler, gapBins: [2] }), /methods\[0\]\.config\.gapBins: belongs to the segments sampler/);
  // The resolved config (every field, as written beside the checkpoints) reads back to itself on resume.
  const resolved = read({ sampler, pairsPerItem: 2 });
  assert.deepEqual(read(JSON.parse(JSON.stringify(resolved))), resolved);
  assert.throws(() => read({ sampler: { kind: 'relative-position', gap: 2, jitter: 1 } }), /methods\[0\]\.config\.sampler\.gap: must exceed twice the jitter \(1\)/);
  assert.throws(() => read({ sampler: { kind: 'jigsaw' } }), /methods\[0\]\.config\.sampler\.kind: expected one of segments\|relative-position/);
  await assert.rejects(buildMethod(temporalGapDefinition, { sampler: { kind: 'relative-position' } }, encoder, data), /method m \(temporal-gap\) config\.sampler: a 3x3 grid of 8px patches with gap 3 and jitter 1 needs 32x32 pixels, the image is 8x8/);
  const vit = tinyEncoder(TINY_VIT);
  await assert.rejects(buildMethod(temporalGapDefinition, { sampler }, vit, data), /config\.sampler: the vit encoder takes 8x8 inputs, the patches are 2x2/);
  const audio: DataInfo = { kind: 'features', inputDims: 20, isWaveform: false, labelSets: [], numTrain: 1, numValid: 0 };
  assert.throws(() => temporalGapDefinition.create(read({ sampler }), { key: 'g', encoder, data: audio, layer: undefined, rng: new Rng(1), baseDir: '.' }), /method g \(temporal-gap\) config\.sampler: method g \(temporal-gap\) over image patches reads image data/);
  for (const x of [m, encoder, vit]) x.dispose();
});

test('image cpc: config errors name the field', async () => {
  await initBackend('cpu');
  const data = digitsData(60, 6);
  const encoder = tinyEncoder(TINY_RESNET);
  const grid = { rows: 3, cols: 3, patchSize: 4, gap: -2 };
  await assert.rejects(buildMethod(cpcDefinition, {}, encoder, data), /method m \(cpc\) config\.grid: a 7x7 grid of 8px patches with gap -4 and jitter 0 needs 32x32 pixels, the image is 8x8/);
  await assert.rejects(buildMethod(cpcDefinition, { grid }, encoder, data), /method m \(cpc\) config\.steps: 12 steps ahead, but the grid has 3 rows: at most 2/);
  await assert.rejects(buildMethod(cpcDefinition, { grid, steps: 2, context: 'encoder' }, encoder, data), /method m \(cpc\) config\.context: the encoder has no row axis/);
  assert.throws(() => cpcDefinition.readConfig(new Fields({ grid: { ...grid, sequence: 'diagonal' } }, 'c')), /c\.grid\.sequence: expected one of columns\|rows/);
  assert.throws(() => cpcDefinition.readConfig(new Fields({ grid: { rows: 1 } }, 'c')), /c\.grid\.rows: expected a number >= 2/);
  const audio: DataInfo = { kind: 'features', inputDims: 20, isWaveform: false, labelSets: [], numTrain: 1, numValid: 0 };
  const cfg = cpcDefinition.readConfig(new Fields({ grid, context: 'gru' }, 'c'));
  assert.throws(() => cpcDefinition.create(cfg, { key: 'c', encoder, data: audio, layer: undefined, rng: new Rng(1), baseDir: '.' }), /method c \(cpc\) config\.grid: a patch grid is for image data/);
  const resolved = cpcDefinition.readConfig(new Fields({ grid, steps: 2 }, 'c'));
  assert.deepEqual(cpcDefinition.readConfig(new Fields(JSON.parse(JSON.stringify(resolved)), 'c')), resolved);
  assert.deepEqual(IMAGE_CPC_GRID_DEFAULTS, { rows: 7, cols: 7, patchSize: 8, gap: -4, jitter: 0, sequence: 'columns' });
  encoder.dispose();
});

const GAP_CONFIG = { sampler: { kind: 'relative-position', patchSize: 2, gap: 1, jitter: 0 }, headHidden: 32, pairsPerItem: 4 };
// steps 1 on 3 rows: anchors at rows 0 and 1, so the GRU's recurrent weights matter (with only row 0 they would not).
const CPC_CONFIG = { grid: { rows: 3, cols: 3, patchSize: 4, gap: -2 }, steps: 1, numNegatives: 16, contextDim: 16 };

for (const [name, method, config] of [
  ['relative position (temporal-gap)', 'temporal-gap', GAP_CONFIG],
  ['image cpc', 'cpc', CPC_CONFIG],
] as const) {
  test(`${name}: the gradient reaches every trainable parameter of the encoder and the method (wasm)`, async () => {
    await initBackend('wasm');
    const data = digitsData(60, 6);
    const batch = await data.train.next();
    const encoder = tinyEncoder(TINY_RESNET);
    const m = method === 'cpc' ? await buildMethod(cpcDefinition, config, encoder, data) : await buildMethod(temporalGapDefinition, config, encoder, data);
    assert.deepEqual(zeroGradients(encoder, m, batch), []);
    m.dispose();
    encoder.dispose();
  });
}

function rows(file: string): MetricsRow[] {
  return readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as MetricsRow).filter((r) => r.split === 'train');
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

for (const [name, method, config, factor] of [
  ['relative position (temporal-gap)', 'temporal-gap', GAP_CONFIG, 0.95],
  ['image cpc', 'cpc', CPC_CONFIG, 0.9],
] as const) {
  test(`${name} trains on the Trainer on digits (wasm): the loss goes down, tensors stay flat`, async () => {
    await initBackend('wasm');
    const dir = mkdtempSync(join(tmpdir(), `image-${method}-`));
    const counts: number[] = [];
    const run = await buildRun(
      {
        seed: 2,
        encoder: TINY_RESNET,
        methods: [{ name: method, config }],
        data: { kind: 'image', source: 'digits-csv', path: DIGITS_CSV, maxTrain: 200, batchSize: 16 },
        optim: { lr: 3e-3 },
        schedule: { kind: 'constant' },
        train: { maxSteps: 24, logEvery: 2 },
      },
      { baseDir: dir, outDir: join(dir, 'out'), deps: { buildEncoder: (c, ctx) => buildEncoder(c, { seed: ctx.seed }) }, hooks: { afterUpdate: (s) => s >= 2 && counts.push(tf.memory().numTensors) } },
    );
    try {
      await run.trainer.run();
    } finally {
      run.dispose();
    }
    const losses = rows(join(dir, 'out', 'metrics.jsonl')).map((r) => r[`${method}/loss`] as number);
    assert.ok(mean(losses.slice(-3)) < factor * mean(losses.slice(0, 3)), `${name} loss falls: ${losses.map((l) => l.toFixed(3)).join(' ')}`);
    assert.ok(counts.every((c) => c === counts[0]), `tensor count flat: ${counts.join(',')}`);
  });
}

test('relative position and image cpc together: a resumed run matches an uninterrupted one bitwise', async () => {
  await initBackend('cpu');
  const config = (maxSteps: number) => ({
    seed: 7,
    encoder: TINY_RESNET,
    methods: [
      { name: 'temporal-gap', config: GAP_CONFIG },
      { name: 'cpc', config: CPC_CONFIG },
    ],
    data: { kind: 'image', source: 'digits-csv', path: DIGITS_CSV, maxTrain: 40, batchSize: 8 },
    optim: { lr: 3e-3 },
    schedule: { kind: 'constant' },
    train: { maxSteps, logEvery: 1, checkpointEvery: 2 },
  });
  const deps = { buildEncoder: (c: Record<string, unknown>, ctx: { seed: number }) => buildEncoder(c, { seed: ctx.seed }) };
  const train = async (maxSteps: number, outDir: string, resume: boolean) => {
    const run = await buildRun(config(maxSteps), { baseDir: outDir, outDir, deps });
    try {
      if (resume) assert.ok(resumeLatest(run), 'a checkpoint to resume from');
      await run.trainer.run();
    } finally {
      run.dispose();
    }
  };
  const whole = mkdtempSync(join(tmpdir(), 'image-cpc-gap-a-'));
  const split = mkdtempSync(join(tmpdir(), 'image-cpc-gap-b-'));
  await train(4, whole, false);
  await train(2, split, false);
  await train(4, split, true);
  const a = loadCheckpoint(join(whole, 'checkpoints', 'step-000000004'));
  const b = loadCheckpoint(join(split, 'checkpoints', 'step-000000004'));
  assert.ok(a.weights.has('temporal-gap.head.0.weight') && a.weights.has('cpc.context.weight_hh_l0') && a.weights.has('cpc.predictors.weight'), [...a.weights.keys()].join(' '));
  for (const [name, t] of a.weights) assert.deepEqual(Array.from(b.weights.get(name)!.data), Array.from(t.data), name);
});
