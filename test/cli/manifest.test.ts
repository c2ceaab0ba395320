/** `speech-ssl manifest`: fairseq .tsv layout, seeded train/valid split, header sample counts, bad files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readManifest } from '../../src/data/manifest.ts';
import { decodeAudio } from '../../src/audio/decode.ts';
import { buildManifests } from '../../src/data/build-manifest.ts';
import { runCli, writeGoodCorpus } from './cli-helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'speech-ssl-manifest-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));
const corpus = join(tmp, 'corpus');
const rels = writeGoodCorpus(corpus, 30, 0.2);

test('train/valid manifests: root line, relative paths with header sample counts, seeded split', async () => {
  const out = join(tmp, 'm1');
  const r = await runCli(['manifest', corpus, '--out', join(out, 'train.tsv'), '--valid-percent', '0.3', '--seed', '3']);
  assert.equal(r.code, 0, r.stderr);
  const train = readManifest(join(out, 'train.tsv'));
  const valid = readManifest(join(out, 'valid.tsv'));
  assert.equal(train.root, corpus);
  assert.equal(valid.root, corpus);
  const all = [...train.entries, ...valid.entries].map((e) => e.path).sort();
  assert.deepEqual(all, rels, 'every file in exactly one manifest');
  assert.ok(valid.entries.length > 0 && train.entries.length > valid.entries.length);
  for (const e of [...train.entries, ...valid.entries]) assert.equal(e.numSamples, (await decodeAudio(join(corpus, e.path))).mono.length, e.path);
  assert.match(readFileSync(join(out, 'train.tsv'), 'utf8'), new RegExp(`^${corpus}\\n[^\\t\\n]+\\t\\d+\\n`));
  // The split is a function of the seed alone.
  const same = buildManifests({ root: corpus, trainOut: join(tmp, 'm2', 'train.tsv'), validOut: join(tmp, 'm2', 'valid.tsv'), validPercent: 0.3, seed: 3 });
  assert.deepEqual([same.train, same.valid], [train.entries.length, valid.entries.length]);
  assert.equal(readFileSync(join(tmp, 'm2', 'valid.tsv'), 'utf8'), readFileSync(join(out, 'valid.tsv'), 'utf8'));
  const other = buildManifests({ root: corpus, trainOut: join(tmp, 'm3', 'train.tsv'), validOut: join(tmp, 'm3', 'valid.tsv'), validPercent: 0.3, seed: 4 });
  assert.notEqual(readFileSync(join(tmp, 'm3', 'valid.tsv'), 'utf8'), readFileSync(join(out, 'valid.tsv'), 'utf8'));
  assert.equal(other.train + other.valid, 30);
});

test('without --valid-percent one manifest; unreadable headers reported on stderr, left out, exit 1', async () => {
  writeFileSync(join(corpus, 'broken.wav'), 'RIFF....WAVEjunk');
  const out = join(tmp, 'single.tsv');
  const r = await runCli(['manifest', corpus, '--out', out]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /manifest: skipped .*broken\.wav: /);
  assert.deepEqual(readManifest(out).entries.map((e) => e.path), rels);
  const bad = await runCli(['manifest', corpus, '--out', out, '--valid-percent', '5']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--valid-percent: a fraction in \[0, 1\]/);
});
