import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.ts';
import { buildRun } from '../../src/train/run.ts';
import { buildEncoder } from '../../src/models/registry.ts';
import { loadImageSplits } from '../../src/data/image-source.ts';
import { embedImages, encoderFromCheckpoint, encoderFromRunConfig, evalImageSpec } from '../../src/eval/image-embedding.ts';
import { runCli } from '../cli/cli-helpers.ts';
import { writeImageFolder } from '../data/image-fixtures.ts';

const fixture = writeImageFolder(6, 8);
const runConfig = {
  seed: 4,
  encoder: { kind: 'resnet', preset: 'digits', inChannels: 3, stemWidth: 8, widths: [8, 16], groups: 4 },
  methods: [{ name: 'rotation', config: { flipProb: 0 } }],
  data: { kind: 'image', source: 'folder', path: fixture.root, normalize: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }, batchSize: 6 },
  optim: { lr: 0.01 },
  train: { maxSteps: 3, logEvery: 1 },
};

test('image eval: a checkpoint gives back the trained encoder, the run config the seeded initial one', async () => {
  await initBackend('cpu');
  const dir = mkdtempSync(join(tmpdir(), 'image-eval-'));
  const out = join(dir, 'run');
  let built: ReturnType<typeof buildEncoder> | undefined;
  const run = await buildRun(runConfig, { baseDir: dir, outDir: out, deps: { buildEncoder: (c, ctx) => (built = buildEncoder(c, { seed: ctx.seed })) } });
  const initial = buildEncoder(runConfig.encoder, { seed: 4 });
  await run.trainer.run();
  const configFile = join(dir, 'run.json');
  writeFileSync(configFile, JSON.stringify(runConfig));
  const fromCkpt = encoderFromCheckpoint(out);
  const fromConfig = encoderFromRunConfig(configFile);
  assert.match(fromCkpt.description, /step-000000003 \(step 3\)/);
  const spec = evalImageSpec(fromCkpt, {});
  assert.equal(spec.path, fixture.root);
  assert.deepEqual(spec.normalize, runConfig.data.normalize);
  const { train } = loadImageSplits(spec);
  const trained = embedImages(built!, train, spec.normalize, { batchSize: 5 });
  const restored = embedImages(fromCkpt.encoder, train, spec.normalize, { batchSize: 7 });
  const random = embedImages(fromConfig.encoder, train, spec.normalize);
  const fresh = embedImages(initial, train, spec.normalize);
  assert.equal(restored.length, 18 * 16);
  assert.deepEqual(Array.from(restored), Array.from(trained), 'checkpoint weights restored (and batch size does not matter)');
  assert.deepEqual(Array.from(random), Array.from(fresh), 'random init = the run seed\'s initial weights');
  assert.notDeepEqual(Array.from(random), Array.from(restored));
  run.dispose();
  for (const e of [initial, fromCkpt.encoder, fromConfig.encoder]) e.dispose();
});

test('speech-ssl eval knn|probe --random-init: train split fitted, test split scored; errors are clear', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'image-eval-cli-'));
  const configFile = join(dir, 'run.json');
  writeFileSync(configFile, JSON.stringify(runConfig));
  const knn = await runCli(['eval', 'knn', '--random-init', configFile, '--k', '1,3', '--backend', 'cpu', '--out', join(dir, 'knn.json'), '--json']);
  assert.equal(knn.code, 0, knn.stderr);
  const line = JSON.parse(knn.stdout.trim().split('\n').at(-1)!) as { train: number; test: number; accuracy: Record<string, number>; skipped: number; classes: string[] };
  assert.deepEqual([line.train, line.test, line.skipped], [18, 6, 1]);
  assert.deepEqual(line.classes, ['a', 'b', 'c']);
  assert.deepEqual(Object.keys(line.accuracy), ['k=1', 'k=3']);
  for (const v of Object.values(line.accuracy)) assert.ok(v >= 0 && v <= 1 && Number.isInteger(v * 6), String(v));
  assert.match(knn.stderr, /skipped .*broken\.png/);
  const probe = await runCli(['eval', 'probe', '--random-init', configFile, '--backend', 'cpu', '--threads', '1', '--max-train', '9', '--json']);
  assert.equal(probe.code, 0, probe.stderr);
  assert.match(probe.stdout, /"train":9,"test":6/);
  const zeroThreads = await runCli(['eval', 'knn', '--random-init', configFile, '--threads', '0']);
  assert.equal(zeroThreads.code, 2);
  assert.match(zeroThreads.stderr, /--threads.*expected a positive integer, got 0/);
  const both = await runCli(['eval', 'knn', '--random-init', configFile, '--checkpoint', dir]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /give exactly one of --checkpoint RUN and --random-init CONFIG/);
  const none = await runCli(['eval', 'knn', '--checkpoint', join(dir, 'nothing')]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /nothing: no such checkpoint or run folder/);
});

test('speech-ssl eval knn+probe --test-images DIR: scored on that folder, with progress while embedding', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'image-eval-held-'));
  const configFile = join(dir, 'run.json');
  writeFileSync(configFile, JSON.stringify(runConfig));
  // A held-out folder of two classes only (the train split's class names are kept: a = 0, c = 2).
  const held = join(dir, 'held');
  cpSync(join(fixture.root, 'train', 'a'), join(held, 'a'), { recursive: true });
  cpSync(join(fixture.root, 'test', 'c'), join(held, 'c'), { recursive: true });
  const r = await runCli(['eval', 'knn+probe', '--random-init', configFile, '--k', '1', '--backend', 'cpu', '--batch-size', '4', '--test-images', held, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const line = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { train: number; test: number; testImages: string; accuracy: Record<string, number> };
  assert.deepEqual([line.train, line.test, line.testImages], [18, 8, held]);
  assert.deepEqual(Object.keys(line.accuracy), ['k=1', 'probe']);
  // The test folder holds 6 training images of "a": a 1-NN over the same pixels gets those right.
  assert.ok(line.accuracy['k=1'] >= 6 / 8, String(line.accuracy['k=1']));
  assert.match(r.stderr, /embedding train 4\/18 .*\n(.*\n)*.*embedding train 18\/18/);
  assert.match(r.stderr, /embedding test images 8\/8/);
  const quiet = await runCli(['eval', 'knn', '--random-init', configFile, '--k', '1', '--backend', 'cpu', '--test-images', held, '--no-progress']);
  assert.doesNotMatch(quiet.stderr, /embedding/);
  const wrong = join(dir, 'wrong');
  cpSync(join(fixture.root, 'test', 'a'), join(wrong, 'zebra'), { recursive: true });
  const bad = await runCli(['eval', 'knn', '--random-init', configFile, '--backend', 'cpu', '--test-images', wrong]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /class folder "zebra" is not one of the classes \[a, b, c\]/);
});

test('speech-ssl train --set data.path=REL resolves REL against the working directory, not the config folder', async () => {
  const confDir = mkdtempSync(join(tmpdir(), 'image-train-conf-'));
  const work = mkdtempSync(join(tmpdir(), 'image-train-cwd-'));
  const configFile = join(confDir, 'run.json');
  writeFileSync(configFile, JSON.stringify({ ...runConfig, data: { ...runConfig.data, path: 'nowhere' }, train: { maxSteps: 1, logEvery: 1 } }));
  // The images sit in work/imgs only: resolved against the config folder the run would not find them.
  cpSync(fixture.root, join(work, 'imgs'), { recursive: true });
  const r = await runCli(['train', '--config', configFile, '--out', join(work, 'run'), '--backend', 'cpu', '--no-progress', '--set', 'data.path=imgs'], work);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /trained 1 updates/);
  assert.match(r.stderr, /\[train 1\] epoch 0  loss /, 'the epoch counter is printed as an integer');
});
