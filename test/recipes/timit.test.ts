import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readManifest } from '../../src/data/manifest.ts';
import { writeFakeTimit } from './fake-corpora.ts';
import { TINY_TRAIN, extractTakesModels, kmCounts, lines, ranStages, runRecipe, shardLengths, skippedStages } from './run-recipe.ts';

// Stages 6-9 (PNMI of the model's layer) need `speech-ssl extract --features <run dir> --layer N`
// (branch onnx-cli). The first run stops after training; the rerun must skip stages 0-5 and, where
// extract takes models, goes on through the layer's PNMI (otherwise it stops at stage 5 again).
const FULL = extractTakesModels();

interface PnmiJson { pnmi: number; phonePurity: number; clusterPurity: number; frames: number; k: number; utterances: number }

test('recipes/timit: SPHERE -> WAV, MFCC shards, 100 Hz phone reference, PNMI of MFCC clusters, HuBERT iteration 1, PNMI of its layer at 50 Hz; rerun skips', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'recipe-timit-'));
  const root = join(dir, 'TIMIT'), exp = join(dir, 'exp');
  const fake = writeFakeTimit(root);
  const args = [root, '--exp', exp, '--k', '16', '--steps', '2', ...TINY_TRAIN];
  const r = await runRecipe('timit', [...args, '--stop-stage', '5']);
  assert.equal(r.code, 0, r.output);
  assert.deepEqual(ranStages(r.output), [0, 1, 2, 3, 4, 5]);
  assert.match(r.output, /left out .*TRAIN\/DR2\/MKLW0\/SX999\.WAV: no SX999\.PHN alignment/);

  const data = join(exp, 'data'), mfcc = join(exp, 'feats/mfcc');
  const test_ = readManifest(join(data, 'test.tsv'));
  assert.equal(readManifest(join(data, 'train.tsv')).entries.length, fake.train);
  assert.equal(test_.entries.length, fake.test);
  assert.ok(test_.entries.every((e) => existsSync(join(test_.root, e.path))), 'converted WAVs');
  for (const split of ['train', 'test']) {
    const lens = shardLengths(mfcc, split, 1);
    // The reference has one phone per MFCC frame, and the cluster labels one id per frame.
    assert.deepEqual(kmCounts(join(exp, 'ref', `${split}.phn39.100hz`)), lens);
    assert.deepEqual(kmCounts(join(exp, 'labels/mfcc', `${split}.km`)), lens);
  }
  const ids = lines(join(exp, 'ref/test.phn39.100hz')).flatMap((l) => l.split(' ').map(Number));
  assert.ok(ids.every((i) => i >= 0 && i < 39));
  assert.equal(lines(join(exp, 'ref/phones39.txt')).length, 39);

  const q = JSON.parse(readFileSync(join(exp, 'eval/pnmi_mfcc_k16.json'), 'utf8')) as PnmiJson;
  assert.equal(q.k, 16);
  assert.equal(q.utterances, fake.test);
  assert.equal(q.frames, shardLengths(mfcc, 'test', 1).reduce((a, b) => a + b, 0));
  // Each fake phone is its own tone pair, so MFCC clusters follow the phones closely: PNMI 0.70 with
  // this reference (deterministic: seeded k-means); the same reference 3 frames late gives 0.52.
  assert.ok(q.pnmi > 0.6 && q.pnmi <= 1, `PNMI ${q.pnmi}`);
  assert.ok(q.phonePurity > 0.55 && q.clusterPurity > 0.6, `purities ${q.phonePurity} ${q.clusterPurity}`);
  assert.ok(existsSync(join(exp, 'hubert_iter1/checkpoints/step-000000002/weights.safetensors')));

  // Other options on a rerun: the finished stages are still skipped, with a note naming both settings.
  const changed = await runRecipe('timit', [...args.map((a) => (a === '16' ? '20' : a)), '--stop-stage', '3']);
  assert.equal(changed.code, 0, changed.output);
  assert.deepEqual(skippedStages(changed.output), [0, 1, 2, 3]);
  assert.match(changed.output, /note: it was done with other options \(.*--k 16 .*\); this run has \(.*--k 20 /);

  if (!FULL) t.diagnostic('extract --features <run dir> is not available here: the rerun stops after stage 5 (the layer PNMI untested)');
  const again = await runRecipe('timit', FULL ? args : [...args, '--stop-stage', '5']);
  assert.equal(again.code, 0, again.output);
  assert.deepEqual(skippedStages(again.output), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(ranStages(again.output), FULL ? [6, 7, 8, 9] : []);
  if (!FULL) return;
  const feats = join(exp, 'feats/hubert_iter1_l6');
  for (const split of ['train', 'test']) {
    const lens = shardLengths(feats, split, 1);
    assert.deepEqual(kmCounts(join(exp, 'ref', `${split}.phn39.50hz`)), lens, 'one phone per model frame');
    assert.deepEqual(kmCounts(join(exp, 'labels/hubert_iter1_l6', `${split}.km`)), lens);
  }
  const layer = JSON.parse(readFileSync(join(exp, 'eval/pnmi_hubert_iter1_l6_k16.json'), 'utf8')) as PnmiJson & { dims: number };
  assert.equal(layer.dims, 32);
  assert.equal(layer.frames, shardLengths(feats, 'test', 1).reduce((a, b) => a + b, 0));
  assert.ok(layer.pnmi >= 0 && layer.pnmi <= 1 && layer.phonePurity > 0 && layer.clusterPurity > 0);
});
