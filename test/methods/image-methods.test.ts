import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.ts';
import { buildRun } from '../../src/train/run.ts';
import { buildEncoder } from '../../src/models/registry.ts';
import type { MetricsRow } from '../../src/train/metrics-log.ts';
import type { ImageTrainBatch } from '../../src/data/image-batch.ts';
import { rotationDefinition, type RotationMethod } from '../../src/methods/rotation.ts';
import { simclrDefinition } from '../../src/methods/simclr.ts';
import { maskedPatchDefinition, type MaskedPatchMethod } from '../../src/methods/masked-patch.ts';
import { Fields } from '../../src/util/fields.ts';
import { DIGITS_CSV, TINY_RESNET, TINY_VIT, buildMethod, digitsData, lossContext, tinyEncoder, zeroGradients } from './image-setup.ts';

async function firstBatch(): Promise<{ data: ReturnType<typeof digitsData>; batch: ImageTrainBatch }> {
  const data = digitsData(60, 6);
  return { data, batch: await data.train.next() };
}

test('rotation: four turns per image; a zero head gives loss ln 4; the same rng gives the same loss', async () => {
  await initBackend('cpu');
  const { data, batch } = await firstBatch();
  const encoder = tinyEncoder(TINY_RESNET);
  const m = (await buildMethod(rotationDefinition, { flipProb: 0 }, encoder, data)) as RotationMethod;
  for (const v of m.head.namedParameters().values()) v.assign(tf.zerosLike(v));
  const out = tf.tidy(() => {
    const r = m.loss(batch, lossContext(encoder, batch, 1));
    return [r.loss.dataSync()[0], r.metrics!.acc as number];
  });
  assert.ok(Math.abs(out[0] - Math.log(4)) < 1e-5, `loss ${out[0]}`);
  assert.equal(out[1], 0, 'equal logits: no strict maximum, nothing counted correct');
  const fresh = (await buildMethod(rotationDefinition, { allRotations: false, cropMinScale: 0.5 }, encoder, data)) as RotationMethod;
  const a = tf.tidy(() => fresh.loss(batch, lossContext(encoder, batch, 4)).loss.dataSync()[0]);
  const b = tf.tidy(() => fresh.loss(batch, lossContext(encoder, batch, 4)).loss.dataSync()[0]);
  const c = tf.tidy(() => fresh.loss(batch, lossContext(encoder, batch, 5)).loss.dataSync()[0]);
  assert.equal(a, b);
  assert.notEqual(a, c);
  for (const x of [m, fresh, encoder]) x.dispose();
});

test('image methods refuse data or encoders they cannot read, naming the fix', async () => {
  await initBackend('cpu');
  const { data } = await firstBatch();
  const rgb = tinyEncoder({ ...TINY_RESNET, inChannels: 3 });
  await assert.rejects(buildMethod(rotationDefinition, {}, rgb, data), /takes 3 channel\(s\), the images have 1 \(set encoder.inChannels\)/);
  const resnet = tinyEncoder(TINY_RESNET);
  await assert.rejects(buildMethod(maskedPatchDefinition, {}, resnet, data), /use a vit encoder \(got resnet\)/);
  const big = tinyEncoder({ ...TINY_VIT, imageSize: 16 });
  await assert.rejects(buildMethod(maskedPatchDefinition, {}, big, data), /takes 16x16 images, the data gives 8x8/);
  assert.throws(() => simclrDefinition.readConfig(new Fields({ views: { preset: 'moco' } }, 'methods[0].config')), /methods\[0\]\.config\.views\.preset: expected one of simclr-cifar\|byol\|byol-cifar\|digits/);
  assert.throws(() => maskedPatchDefinition.readConfig(new Fields({ maskRatio: 0 }, 'c')), /c\.maskRatio: expected a number > 0/);
  for (const x of [rgb, resnet, big]) x.dispose();
});

test('masked-patch: targets are the nearest centroid of each patch; only masked patches count', async () => {
  await initBackend('cpu');
  const { data, batch } = await firstBatch();
  const encoder = tinyEncoder(TINY_VIT);
  const m = (await buildMethod(maskedPatchDefinition, { k: 8, fitImages: 40, maskRatio: 0.25, maskShape: 'random' }, encoder, data)) as MaskedPatchMethod;
  assert.deepEqual(m.centroids.shape, [8, 4]);
  assert.equal(m.buffers().get('m.centroids'), m.centroids);
  // Targets by hand: the 2x2 patch at grid (1, 2) of image 0, standardised, against every centroid.
  const ids = m.targets(batch.images.slice(0, 1));
  assert.equal(ids.length, 16);
  const img = batch.images[0].data;
  const px = [img[2 * 8 + 4], img[2 * 8 + 5], img[3 * 8 + 4], img[3 * 8 + 5]];
  const mean = px.reduce((a, b) => a + b, 0) / 4;
  const sd = Math.sqrt(px.reduce((a, b) => a + (b - mean) ** 2, 0) / 4 + 1e-2);
  const f = px.map((v) => (v - mean) / sd);
  const c = m.centroids.dataSync();
  let best = 0, bestD = Infinity;
  for (let j = 0; j < 8; j++) {
    const d = f.reduce((a, v, i) => a + (v - c[j * 4 + i]) ** 2, 0);
    if (d < bestD) [best, bestD] = [j, d];
  }
  assert.equal(ids[1 * 4 + 2], best);
  const r = tf.tidy(() => {
    const out = m.loss(batch, lossContext(encoder, batch, 2));
    return { loss: out.loss.dataSync()[0], frac: out.metrics!.mask_frac as number, lm: out.metrics!.loss_masked as number };
  });
  assert.equal(r.frac, 4 / 16, 'round(0.25 * 16) patches of every image');
  assert.ok(Math.abs(r.loss - r.lm) < 1e-6, 'unmasked weight 0: the loss is the masked cross-entropy');
  m.dispose();
  encoder.dispose();
});

test('simclr: a batch-norm projector keeps its running statistics as buffers, not parameters; the layer-norm one has none', async () => {
  await initBackend('wasm');
  const { data } = await firstBatch();
  for (const [norm, expected] of [['batch', ['m.projector.norms.0.running_mean', 'm.projector.norms.0.running_var']], ['layer', []]] as const) {
    const encoder = tinyEncoder(TINY_RESNET);
    const m = await buildMethod(simclrDefinition, { projectorHidden: 16, projectorDim: 8, projectorNorm: norm, views: { preset: 'digits' } }, encoder, data);
    assert.deepEqual([...m.buffers!().keys()].sort(), [...expected], norm);
    assert.ok([...m.parameters().values()].every((v) => v.trainable), `${norm}: parameters are all trainable`);
    assert.ok(m.parameters().has('m.projector.norms.0.weight'), `${norm}: the norm's gain is a parameter`);
    m.dispose();
    encoder.dispose();
  }
  assert.throws(() => simclrDefinition.readConfig(new Fields({ projectorNorm: 'group' }, 'methods[0].config')), /methods\[0\]\.config\.projectorNorm: expected one of layer\|batch\|none/);
});

for (const [name, def, config, encoderConfig] of [
  ['rotation', rotationDefinition, { hiddenDim: 16 }, TINY_RESNET],
  ['simclr', simclrDefinition, { projectorHidden: 16, projectorDim: 8, views: { preset: 'digits' } }, TINY_RESNET],
  ['simclr (batch-norm projector)', simclrDefinition, { projectorHidden: 16, projectorDim: 8, projectorNorm: 'batch', views: { preset: 'digits' } }, TINY_RESNET],
  ['masked-patch', maskedPatchDefinition, { k: 8, fitImages: 40 }, TINY_VIT],
] as const) {
  test(`${name}: the gradient reaches every trainable parameter of the encoder and the method (wasm)`, async () => {
    await initBackend('wasm');
    const { data, batch } = await firstBatch();
    const encoder = tinyEncoder(encoderConfig);
    const m = await buildMethod(def as typeof rotationDefinition, config, encoder, data);
    assert.deepEqual(zeroGradients(encoder, m, batch), []);
    m.dispose();
    encoder.dispose();
  });
}

function rows(file: string): MetricsRow[] {
  return readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as MetricsRow).filter((r) => r.split === 'train');
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

// [method, config, encoder, steps, lr, the factor the loss must fall by (last 3 logged vs first 3)]
for (const [name, config, encoder, steps, lr, factor] of [
  ['rotation', { flipProb: 0 }, TINY_RESNET, 24, 3e-3, 0.9],
  ['simclr', { projectorHidden: 32, projectorDim: 16, views: { preset: 'digits', cropMinScale: 0.8, noiseProb: 0 } }, TINY_RESNET, 24, 3e-3, 0.93],
  ['simclr', { projectorHidden: 32, projectorDim: 16, projectorNorm: 'batch', views: { preset: 'digits', cropMinScale: 0.8, noiseProb: 0 } }, TINY_RESNET, 24, 3e-3, 0.93],
  ['masked-patch', { k: 8, fitImages: 60, flipProb: 0 }, TINY_VIT, 24, 3e-3, 0.9],
] as const) {
  test(`${name} trains on the Trainer (wasm): the loss goes down, tensors stay flat`, async () => {
    await initBackend('wasm');
    const dir = mkdtempSync(join(tmpdir(), `image-${name}-`));
    const counts: number[] = [];
    const run = await buildRun(
      {
        seed: 2,
        encoder,
        methods: [{ name, config }],
        data: { kind: 'image', source: 'digits-csv', path: DIGITS_CSV, maxTrain: 200, batchSize: 16 },
        optim: { lr },
        schedule: { kind: 'constant' },
        train: { maxSteps: steps, logEvery: 2 },
      },
      { baseDir: dir, outDir: join(dir, 'out'), deps: { buildEncoder: (c, ctx) => buildEncoder(c, { seed: ctx.seed }) }, hooks: { afterUpdate: (s) => s >= 2 && counts.push(tf.memory().numTensors) } },
    );
    try {
      await run.trainer.run();
    } finally {
      run.dispose();
    }
    const losses = rows(join(dir, 'out', 'metrics.jsonl')).map((r) => r[`${name}/loss`] as number);
    assert.ok(mean(losses.slice(-3)) < factor * mean(losses.slice(0, 3)), `${name} loss falls: ${losses.map((l) => l.toFixed(3)).join(' ')}`);
    assert.ok(counts.every((c) => c === counts[0]), `tensor count flat: ${counts.join(',')}`);
  });
}
