import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropFailed, readFailurePaths } from '../../../src/data/corpora/drop-failed.ts';
import { readManifest, writeManifest } from '../../../src/data/manifest.ts';

test('dropFailed: the files extract failed on leave the manifest, its parallel files and name lists', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drop-failed-'));
  const root = join(dir, 'corpus');
  writeManifest(join(dir, 'train.tsv'), { root, entries: ['a/1.wav', 'a/2.wav', 'b/3.wav'].map((path) => ({ path, numSamples: 16000 })) });
  writeFileSync(join(dir, 'train.wrd'), 'ONE\nTWO\nTHREE\n');
  writeFileSync(join(dir, 'probe.lst'), 'a/2.wav\nb/3.wav\n');
  mkdirSync(join(dir, 'feats'));
  writeFileSync(join(dir, 'feats', 'failures_1_2.tsv'), `path\terror\n${join(root, 'a/2.wav')}\ttruncated\n`);
  writeFileSync(join(dir, 'feats', 'train_1_2.len'), '5\n');
  const failed = readFailurePaths([join(dir, 'feats'), join(dir, 'missing')]);
  assert.deepEqual([...failed], [join(root, 'a/2.wav')]);
  const r = dropFailed(join(dir, 'train.tsv'), failed, [join(dir, 'train.wrd')], [join(dir, 'probe.lst')]);
  assert.deepEqual(r, { kept: 2, dropped: [join(root, 'a/2.wav')] });
  assert.deepEqual(readManifest(join(dir, 'train.tsv')).entries.map((e) => e.path), ['a/1.wav', 'b/3.wav']);
  assert.equal(readFileSync(join(dir, 'train.wrd'), 'utf8'), 'ONE\nTHREE\n');
  assert.equal(readFileSync(join(dir, 'probe.lst'), 'utf8'), 'b/3.wav\n');
  // Nothing more to drop: a second pass changes nothing; a parallel file of the wrong length is refused.
  assert.deepEqual(dropFailed(join(dir, 'train.tsv'), failed, [join(dir, 'train.wrd')]), { kept: 2, dropped: [] });
  writeFileSync(join(dir, 'bad.wrd'), 'ONE\n');
  assert.throws(() => dropFailed(join(dir, 'train.tsv'), new Set([join(root, 'a/1.wav')]), [join(dir, 'bad.wrd')]), /bad\.wrd: has 1 lines but .*train\.tsv has 2 entries/);
  assert.equal(readManifest(join(dir, 'train.tsv')).entries.length, 2, 'nothing is written when a parallel file is wrong');
});
