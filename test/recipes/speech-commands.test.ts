import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readManifest } from '../../src/data/manifest.ts';
import { writeFakeSpeechCommands } from './fake-corpora.ts';
import { TINY_TRAIN, extractTakesModels, kmCounts, lines, ranStages, runRecipe, shardLengths, skippedStages } from './run-recipe.ts';

// Stages 6-7 (the probe on the model's layer) need `speech-ssl extract --features <run dir> --layer N`
// (branch onnx-cli). The first run stops after the MFCC probe; the rerun must skip stages 0-5 and,
// where extract takes models, goes on to the model's probe (otherwise it stops at stage 5 again).
const FULL = extractTakesModels();

test('recipes/speech_commands: list-defined splits, MFCC labels, HuBERT iteration 1, keyword probe on MFCC and on the model; rerun skips', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'recipe-sc-'));
  const root = join(dir, 'speech_commands_v0.02'), exp = join(dir, 'exp');
  const fake = writeFakeSpeechCommands(root);
  const args = [root, '--exp', exp, '--nshard', '1', '--k', '8', '--percent', '-1', '--steps', '2', ...TINY_TRAIN];
  const r = await runRecipe('speech_commands', [...args, '--stop-stage', '5']);
  assert.equal(r.code, 0, r.output);
  assert.deepEqual(ranStages(r.output), [0, 1, 2, 3, 4, 5]);
  assert.match(r.output, /left out .*yes\/ffffffff_nohash_0\.wav: not a WAV or FLAC file/);

  const data = join(exp, 'data'), mfcc = join(exp, 'feats/mfcc');
  const count = (f: string) => readManifest(join(data, f)).entries.length;
  assert.deepEqual([count('train.tsv'), count('valid.tsv'), count('test.tsv'), count('probe.tsv')], [fake.train, fake.valid, fake.test, fake.train + fake.test]);
  assert.ok(readManifest(join(data, 'train.tsv')).entries.every((e) => !e.path.startsWith('_background_noise_')));
  for (const split of ['train', 'valid']) {
    assert.deepEqual(kmCounts(join(exp, 'labels/iter1', `${split}.km`)), shardLengths(mfcc, split, 1));
  }
  assert.equal(lines(join(exp, 'labels/iter1/dict.km.txt')).length, 8);
  assert.ok(existsSync(join(exp, 'hubert_iter1/checkpoints/step-000000002/weights.safetensors')));

  const probe = JSON.parse(readFileSync(join(exp, 'eval/probe_mfcc.json'), 'utf8')) as { classes: string[]; folds: { train: number; test: number; accuracy: { probe: number } }[] };
  assert.deepEqual(probe.classes, [...fake.words].sort());
  assert.deepEqual([probe.folds[0].train, probe.folds[0].test], [fake.train, fake.test]);
  // Three words of distinct tone pairs, a held-out speaker: far above chance (1/3) on pooled MFCCs.
  assert.ok(probe.folds[0].accuracy.probe >= 0.6, `probe accuracy ${probe.folds[0].accuracy.probe}`);

  if (!FULL) t.diagnostic('extract --features <run dir> is not available here: the rerun stops after stage 5 (the model probe untested)');
  const again = await runRecipe('speech_commands', FULL ? args : [...args, '--stop-stage', '5']);
  assert.equal(again.code, 0, again.output);
  assert.deepEqual(skippedStages(again.output), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(ranStages(again.output), FULL ? [6, 7] : []);
  if (!FULL) return;
  const model = JSON.parse(readFileSync(join(exp, 'eval/probe_hubert_iter1_l6.json'), 'utf8')) as typeof probe & { dims: number; utterances: number };
  assert.deepEqual([model.dims, model.utterances], [32, fake.train + fake.test], 'layer 6 of the 32-wide model, every probe clip');
  assert.deepEqual(model.classes, probe.classes);
  assert.deepEqual([model.folds[0].train, model.folds[0].test], [fake.train, fake.test]);
  assert.ok(model.folds[0].accuracy.probe >= 0 && model.folds[0].accuracy.probe <= 1);
});
