import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readManifest } from '../../src/data/manifest.ts';
import { writeFakeLibriSpeech } from './fake-corpora.ts';
import { TINY_TRAIN, extractTakesModels, kmCounts, lines, mtime, npyShape, ranStages, runRecipe, shardLengths, skippedStages } from './run-recipe.ts';

// Stages 5-8 (iteration 2) need `speech-ssl extract --features <run dir> --layer N` (branch onnx-cli).
// The first run stops after iteration 1; the rerun must skip stages 0-4 and, where extract takes
// models, goes on through iteration 2 (otherwise it stops after stage 4 again, and says so).
const FULL = extractTakesModels();

test('recipes/librispeech: manifests, MFCC shards per rank, k-means, 100 Hz labels, HuBERT iteration 1, then iteration 2; bad files reported; rerun skips', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'recipe-ls-'));
  const root = join(dir, 'LibriSpeech'), exp = join(dir, 'exp');
  const fake = writeFakeLibriSpeech(root);
  const args = [root, '--exp', exp, '--nshard', '2', '--percent', '-1', '--k1', '12', '--k2', '10', '--iter1-steps', '2', '--iter2-steps', '2', ...TINY_TRAIN];
  const r = await runRecipe('librispeech', [...args, '--stop-stage', '4']);
  assert.equal(r.code, 0, r.output);
  assert.deepEqual(ranStages(r.output), [0, 1, 2, 3, 4]);
  // Both bad files are named with their problem, and the run went on without them.
  assert.match(r.output, /left out .*19-198-0098\.flac: not a WAV or FLAC file/);
  assert.match(r.output, /skipped .*26-495-0099\.flac: truncated or corrupt/);
  assert.match(r.output, /left out .*26-495-0099\.flac \(extract could not use it\)/);

  const data = join(exp, 'data'), mfcc = join(exp, 'feats/mfcc');
  const train = readManifest(join(data, 'train.tsv')), valid = readManifest(join(data, 'valid.tsv'));
  assert.equal(train.entries.length, fake.train);
  assert.equal(valid.entries.length, fake.valid);
  assert.ok(train.entries.every((e) => e.path.startsWith('train-clean-100/')) && valid.entries.every((e) => e.path.startsWith('dev-clean/')));
  assert.equal(lines(join(data, 'train.wrd')).length, fake.train);
  assert.equal(lines(join(data, 'train.ltr')).length, fake.train);

  for (const split of ['train', 'valid']) {
    const lens = shardLengths(mfcc, split, 2);
    const m = split === 'train' ? train : valid;
    assert.equal(lens.length, m.entries.length, `${split}: one .len line per manifest line`);
    // Kaldi frames (25 ms / 10 ms, snip edges) of each utterance.
    assert.deepEqual(lens, m.entries.map((e) => 1 + Math.floor((e.numSamples - 400) / 160)));
    const rows = [0, 1].map((r) => npyShape(join(mfcc, `${split}_${r}_2.npy`)));
    assert.ok(rows.every((s) => s[1] === 39), 'MFCC-39');
    assert.equal(rows[0][0] + rows[1][0], lens.reduce((a, b) => a + b, 0));
    // One .km line per manifest line, one label per MFCC frame (100 Hz).
    assert.deepEqual(kmCounts(join(exp, 'labels/iter1', `${split}.km`)), lens);
  }
  assert.equal(lines(join(exp, 'labels/iter1/dict.km.txt')).length, 12);
  const km = JSON.parse(readFileSync(join(exp, 'km/mfcc_k12.json'), 'utf8')) as { k: number; dims: number };
  assert.deepEqual([km.k, km.dims], [12, 39]);

  const run = join(exp, 'hubert_iter1');
  assert.ok(existsSync(join(run, 'checkpoints/step-000000002/weights.safetensors')));
  const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as { data: { labelsPerFrame: number; train: { manifest: string } }; encoder: { layers: number } };
  assert.equal(config.data.labelsPerFrame, 100 / 16000);
  assert.equal(config.data.train.manifest, join(data, 'train.tsv'));
  assert.equal(config.encoder.layers, 6);
  const rows = lines(join(run, 'metrics.jsonl')).map((l) => JSON.parse(l) as { split: string; loss?: number; 'valid/loss'?: number });
  assert.ok(rows.some((x) => x.split === 'train' && Number.isFinite(x.loss)));
  assert.ok(rows.some((x) => x.split === 'valid' && Number.isFinite(x['valid/loss'])), 'dev-clean is the validation set');

  // A rerun finds stages 0-4 done and touches nothing there.
  const before = mtime(join(exp, 'labels/iter1/train.km'));
  if (!FULL) t.diagnostic('extract --features <run dir> is not available here: the rerun stops after stage 4 (iteration 2 untested)');
  const again = await runRecipe('librispeech', FULL ? args : [...args, '--stop-stage', '4']);
  assert.equal(again.code, 0, again.output);
  assert.deepEqual(skippedStages(again.output), [0, 1, 2, 3, 4]);
  assert.deepEqual(ranStages(again.output), FULL ? [5, 6, 7, 8] : []);
  assert.equal(mtime(join(exp, 'labels/iter1/train.km')), before);
  if (!FULL) return;

  // Iteration 2: layer-6 features at 50 Hz (32 wide here), k-means 10, .km lines matching them, a run.
  const feats = join(exp, 'feats/hubert_iter1_l6');
  for (const [split, m] of [['train', train], ['valid', valid]] as const) {
    const lens = shardLengths(feats, split, 2);
    assert.equal(lens.length, m.entries.length);
    // The waveform stack's frames: about one per 320 samples (20 ms).
    lens.forEach((n, i) => assert.ok(Math.abs(n - m.entries[i].numSamples / 320) <= 1.5, `${split} ${i}: ${n} frames for ${m.entries[i].numSamples} samples`));
    assert.equal(npyShape(join(feats, `${split}_0_2.npy`))[1], 32);
    assert.deepEqual(kmCounts(join(exp, 'labels/iter2', `${split}.km`)), lens);
  }
  assert.equal(lines(join(exp, 'labels/iter2/dict.km.txt')).length, 10);
  assert.ok(existsSync(join(exp, 'hubert_iter2/checkpoints/step-000000002/weights.safetensors')));
  const config2 = JSON.parse(readFileSync(join(exp, 'hubert_iter2/config.json'), 'utf8')) as { data: { labelsPerFrame: number } };
  assert.equal(config2.data.labelsPerFrame, 50 / 16000);
});

test('recipes/librispeech: usage mistakes stop before any stage with exit status 2', async () => {
  const none = await runRecipe('librispeech', []);
  assert.equal(none.code, 2);
  assert.match(none.output, /usage: .*run\.sh <librispeech-root>/);
  const unknown = await runRecipe('librispeech', ['/nowhere', '--nshards', '2']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.output, /unknown option --nshards/);
  const missing = await runRecipe('librispeech', ['/nowhere', '--exp']);
  assert.equal(missing.code, 2);
  assert.match(missing.output, /option --exp needs a value/);
});
