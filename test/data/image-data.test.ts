import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { buildData } from '../../src/data/registry.ts';
import type { ImageTrainBatch } from '../../src/data/image-batch.ts';
import { imageBatchSource, batchPositions } from '../../src/data/image-batch.ts';
import { planImageBatches } from '../../src/data/image-data.ts';
import { toEncoderInput } from '../../src/methods/encoder-input.ts';
import { initBackend } from '../../src/engine/backend.ts';
import { Fields } from '../../src/util/fields.ts';
import { InputError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';
import { CIFAR_RECORD_BYTES } from '../../src/image/cifar-binary.ts';
import { writeImageFolder } from './image-fixtures.ts';

const fixture = writeImageFolder();

function build(data: Record<string, unknown>, seed = 1) {
  return buildData(new Fields({ kind: 'image', source: 'folder', path: fixture.root, ...data }, 'data', 'run.yaml'), { seed, baseDir: '/' });
}

async function epochIds(data: Record<string, unknown>, seed: number, batches: number): Promise<string[][]> {
  const d = build(data, seed);
  const out: string[][] = [];
  for (let i = 0; i < batches; i++) out.push(((await d.train.next()) as ImageTrainBatch).ids.map((p) => p.slice(fixture.root.length)));
  return out;
}

test('image folder data: labels follow the class folders, the corrupt file is skipped and reported', async () => {
  const d = build({ batchSize: 4, dropLast: false });
  assert.equal(d.info.kind, 'image');
  assert.equal(d.info.numTrain, 18);
  assert.deepEqual(d.info.image?.classNames, ['a', 'b', 'c']);
  assert.deepEqual([d.info.image?.height, d.info.image?.width, d.info.image?.channels, d.info.inputDims], [4, 4, 3, 3]);
  assert.equal(d.failures().length, 1);
  assert.ok(d.failures()[0].startsWith(`${fixture.corrupt}: `), d.failures()[0]);
  assert.match(d.failures()[0], /corrupt or truncated PNG/);
  const seen = new Set<string>();
  for (let i = 0; i < d.train.batchesPerEpoch; i++) {
    const b = (await d.train.next()) as ImageTrainBatch;
    assert.equal(b.kind, 'image');
    b.images.forEach((img, k) => {
      const cls = b.ids[k].split('/').at(-2)!;
      assert.equal(b.labels[k], ['a', 'b', 'c'].indexOf(cls));
      // The red value is 10 * class + n: the pixels are the file's.
      const n = Number(b.ids[k].split('/').at(-1)!.replace('.png', ''));
      assert.ok(Math.abs(img.data[0] * 255 - (10 * b.labels[k] + n)) < 1e-3);
      seen.add(b.ids[k]);
    });
  }
  assert.equal(seen.size, 18, 'one epoch visits every image once');
});

test('image folder data: batches are a function of the seed; the data position resumes exactly', async () => {
  const a = await epochIds({ batchSize: 5 }, 7, 6);
  assert.deepEqual(await epochIds({ batchSize: 5 }, 7, 6), a);
  assert.notDeepEqual(await epochIds({ batchSize: 5 }, 8, 6), a);
  // dropLast: 18 images in batches of 5 make 3 full batches an epoch.
  assert.ok(a.every((b) => b.length === 5));
  const d = build({ batchSize: 5 }, 7);
  await d.train.next();
  await d.train.next();
  const state = JSON.parse(JSON.stringify(d.train.getState()));
  const next = ((await d.train.next()) as ImageTrainBatch).ids;
  const r = build({ batchSize: 5 }, 7);
  r.train.setState(state);
  assert.deepEqual(((await r.train.next()) as ImageTrainBatch).ids, next);
  assert.deepEqual(planImageBatches(5, 2, false, new Rng(1)).map((b) => b.length), [2, 2, 1]);
  assert.deepEqual(planImageBatches(5, 2, true, new Rng(1)).map((b) => b.length), [2, 2]);
});

test('image data validation: holdout is stratified and disjoint from train; test reads the test split', async () => {
  const d = build({ valid: 'holdout', validFraction: 0.34, batchSize: 100, dropLast: false });
  const train = ((await d.train.next()) as ImageTrainBatch).ids;
  const valid: string[] = [];
  for await (const b of d.valid!.batches()) valid.push(...(b as ImageTrainBatch).ids);
  assert.equal(train.length + valid.length, 18);
  assert.equal(new Set([...train, ...valid]).size, 18);
  // Each class keeps about a third of its images in the holdout (6 images each: 2).
  for (const cls of ['a', 'b', 'c']) assert.equal(valid.filter((p) => p.includes(`/train/${cls}/`)).length, 2, cls);
  const t = build({ valid: 'test', batchSize: 4 });
  const ids: string[] = [];
  for await (const b of t.valid!.batches()) ids.push(...(b as ImageTrainBatch).ids);
  assert.equal(ids.length, 6);
  assert.ok(ids.every((p) => p.includes('/test/')));
  assert.equal(t.info.numValid, 6);
});

test('image data: maxTrain keeps a class-stratified subset; resize and normalisation reach the encoder input', async () => {
  await initBackend('cpu');
  const d = build({ maxTrain: 6, size: 2, normalize: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.5, 1] }, batchSize: 6 });
  assert.equal(d.info.numTrain, 6);
  const b = (await d.train.next()) as ImageTrainBatch;
  assert.deepEqual([...b.labels].sort(), [0, 0, 1, 1, 2, 2]);
  assert.deepEqual(b.shape, [2, 2, 3]);
  tf.tidy(() => {
    const x = toEncoderInput(b).x;
    assert.deepEqual(x.shape, [6, 2, 2, 3]);
    const v = x.dataSync();
    const img = b.images[0].data;
    // Green is 50/255 everywhere: (50/255 - 0.5) / 0.5; blue 200/255: (200/255 - 0.5) / 1.
    assert.ok(Math.abs(v[1] - (50 / 255 - 0.5) / 0.5) < 1e-5);
    assert.ok(Math.abs(v[2] - (200 / 255 - 0.5)) < 1e-5);
    assert.ok(Math.abs(v[0] - (img[0] - 0.5) / 0.25) < 1e-5);
  });
  const src = imageBatchSource(b);
  assert.equal(src.size, 6);
  assert.equal(src.get(3), b.images[3]);
  assert.deepEqual([...batchPositions(b)], [0, 1, 2, 3, 4, 5]);
});

test('image data: digits CSV and CIFAR binary sources; bad records are reported, not fatal', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'image-src-'));
  const rows: string[] = [];
  for (let i = 0; i < 20; i++) rows.push([...Array.from({ length: 64 }, (_, k) => (k + i) % 17), i % 2].join(','));
  rows.push('1,2,3');
  writeFileSync(join(dir, 'digits.csv'), rows.join('\n') + '\n');
  const digits = buildData(new Fields({ kind: 'image', source: 'digits-csv', path: 'digits.csv', testFraction: 0.2, valid: 'test' }, 'data'), { seed: 1, baseDir: dir });
  assert.deepEqual([digits.info.numTrain, digits.info.numValid, digits.info.inputDims], [16, 4, 1]);
  assert.equal(digits.failures().length, 1);
  assert.match(digits.failures()[0], /digits\.csv/);
  const rec = new Uint8Array(3 * CIFAR_RECORD_BYTES);
  rec[0] = 3;
  rec[CIFAR_RECORD_BYTES] = 12; // label out of range
  rec[2 * CIFAR_RECORD_BYTES] = 9;
  writeFileSync(join(dir, 'data_batch_1.bin'), rec);
  writeFileSync(join(dir, 'test_batch.bin'), rec.subarray(0, CIFAR_RECORD_BYTES));
  const cifar = buildData(new Fields({ kind: 'image', source: 'cifar-binary', path: dir, batchSize: 2 }, 'data'), { seed: 1, baseDir: '/' });
  assert.equal(cifar.info.numTrain, 2);
  assert.equal(cifar.failures().length, 1);
  assert.match(cifar.failures()[0], /label byte 12/);
  const b = (await cifar.train.next()) as ImageTrainBatch;
  assert.deepEqual([...b.labels].sort(), [3, 9]);
});

test('image data config: errors name the file, the field and what was expected', () => {
  const bad = (data: Record<string, unknown>, pattern: RegExp) =>
    assert.throws(() => build(data), (e: unknown) => e instanceof InputError && pattern.test(e.message), String(pattern));
  bad({ path: undefined }, /^run\.yaml: data\.path: required: the image folder/);
  bad({ path: '/nonexistent/images' }, /\/nonexistent\/images: not found/);
  bad({ normalize: 'imagenet' }, /data\.normalize: expected none, cifar10 or/);
  bad({ normalize: { mean: [0.5], std: [0.5] } }, /data\.normalize: has statistics for 1 channels, the images have 3/);
  bad({ size: [4, 4, 4] }, /data\.size: expected a side or \[height, width\]/);
  bad({ valid: 'all' }, /data\.valid: expected one of none\|holdout\|test/);
  bad({ batchsize: 3 }, /data\.batchsize: unknown field/);
  bad({ train: { features: 'x' } }, /data\.train: image data names its images with source\/path/);
  bad({ trainSplit: 'training' }, /the train split folder "training" is missing/);
});
