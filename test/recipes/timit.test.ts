import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readManifest } from '../../src/data/manifest.ts';
import { writeFakeTimit } from './fake-corpora.ts';
import { TINY_TRAIN, kmCounts, lines, ranStages, runRecipe, shardLengths, skippedStages } from './run-recipe.ts';

// Stages 6-9 (PNMI of the model's layer) need `speech-ssl extract --features <run dir> --layer N`
// (branch onnx-cli); until it is on main this test stops after HuBERT training (stage 5).
const STOP = '5';

interface PnmiJson { pnmi: number; phonePurity: number; clusterPurity: number; frames: number; k: number; utterances: number }

test('recipes/timit: SPHERE -> WAV, MFCC shards, 100 Hz phone reference, PNMI of MFCC clusters, HuBERT iteration 1; rerun skips', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'recipe-timit-'));
  const root = join(dir, 'TIMIT'), exp = join(dir, 'exp');
  const fake = writeFakeTimit(root);
  const args = [root, '--exp', exp, '--k', '16', '--steps', '2', ...TINY_TRAIN, '--stop-stage', STOP];
  const r = await runRecipe('timit', args);
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

  const again = await runRecipe('timit', args);
  assert.equal(again.code, 0, again.output);
  assert.deepEqual(skippedStages(again.output), [0, 1, 2, 3, 4, 5]);
});
