/**
 * Issue #15, item 8: the smaller hostile cases, each with a clear message instead of a wrong one, a silent
 * skip or a stack trace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeAudio } from '../../src/audio/decode.ts';
import { Args } from '../../src/util/args.ts';
import { readNpy } from '../../src/util/npy.ts';
import { runTrain } from '../../src/cli/commands/train.ts';
import { buildTinyOrRealEncoder, TINY_METHODS, tinyRunConfig, writeTinyShard } from '../train/fixtures/tiny.ts';
import { runCli } from '../cli/cli-helpers.ts';
import { fakeMp3, nonUtf8Name, truncatedNpy, wavAtRate } from './corpus.ts';

const dir = mkdtempSync(join(tmpdir(), 'small-cases-'));

test('an MP3 renamed .wav is named as MP3, not "not a FLAC file"', () => {
  const f = join(dir, 'song.wav');
  writeFileSync(f, fakeMp3());
  assert.throws(() => probeAudio(f), new RegExp(`${f}: not a WAV or FLAC file \\(an MPEG audio \\(MP3\\) file\\); only WAV and FLAC are read`));
});

test('extract: a non-UTF-8 file name is said to be one (not ENOENT); a damaged earlier output is recomputed', async () => {
  const wavs = join(dir, 'names');
  mkdirSync(wavs);
  writeFileSync(nonUtf8Name(wavs), wavAtRate(16000));
  writeFileSync(join(wavs, 'good.wav'), wavAtRate(16000));
  writeFileSync(join(wavs, 'other.wav'), wavAtRate(16000));
  const out = join(dir, 'names-out');
  mkdirSync(out);
  // Left by an earlier run: a truncated and an empty .npy. Neither may count as already done.
  writeFileSync(join(out, 'good.npy'), truncatedNpy(98, 80));
  writeFileSync(join(out, 'other.npy'), new Uint8Array(0));
  const r = await runCli(['extract', wavs, '--out', out]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /extract: skipped \S*caf\uFFFD\.wav: cannot read: the file name is not valid UTF-8 \(its undecodable bytes show as \uFFFD\); rename the file/);
  assert.doesNotMatch(r.stderr, /ENOENT/);
  assert.match(r.stderr, /good\.npy: truncated data: .*; recomputing it/);
  assert.match(r.stderr, /other\.npy: empty file, not a \.npy; recomputing it/);
  assert.match(r.stderr, /3 files, 2 written, 0 already done, 1 failed/);
  assert.deepEqual(readNpy(join(out, 'good.npy')).shape, [98, 80]);
});

test('extract: a manifest count that does not match the audio fails that file, naming the manifest line', async () => {
  const root = join(dir, 'counted');
  mkdirSync(root);
  writeFileSync(join(root, 'a.wav'), wavAtRate(16000, 16000));
  writeFileSync(join(root, 'b.wav'), wavAtRate(16000, 12000));
  const tsv = join(dir, 'counted.tsv');
  writeFileSync(tsv, `${root}\na.wav\t16000\nb.wav\t16000\n`);
  const r = await runCli(['extract', tsv, '--out', join(dir, 'counted-out')]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`skipped \\S+b\\.wav: ${tsv}: line 3 declares 16000 samples, the file has 12000; the manifest does not describe this audio`));
  assert.match(r.stderr, /2 files, 1 written, 0 already done, 1 failed/);
});

test('manifest: names with a tab or a line break are left out with the reason, and extract reads what it writes', async () => {
  const root = join(dir, 'tabbed');
  mkdirSync(root);
  writeFileSync(join(root, 'ok.wav'), wavAtRate(16000));
  writeFileSync(join(root, 'tab\there.wav'), wavAtRate(16000));
  writeFileSync(join(root, 'new\nline.wav'), wavAtRate(16000));
  const tsv = join(dir, 'tabbed.tsv');
  const m = await runCli(['manifest', root, '--out', tsv]);
  assert.equal(m.code, 1, m.stderr);
  assert.equal((m.stderr.match(/its name holds a tab or a line break, which a \.tsv manifest cannot hold; rename the file/g) ?? []).length, 2, m.stderr);
  assert.equal(readFileSync(tsv, 'utf8').trim().split('\n').length, 2);
  const x = await runCli(['extract', tsv, '--out', join(dir, 'tabbed-out')]);
  assert.equal(x.code, 0, x.stderr);
});

test('extract --concat without --split on a folder is refused before writing anything', async () => {
  const out = join(dir, 'nosplit');
  const r = await runCli(['extract', join(dir, 'counted'), '--out', out, '--concat']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--split: --concat needs --split NAME/);
  assert.ok(!existsSync(join(out, 'features.json')), 'no features.json left behind');
});

test('train: an encoder inputDim that does not match the features is refused before anything is written', async () => {
  const feats = join(dir, 'feats');
  writeTinyShard(feats, 'train', 4, 3, 1);
  const config = tinyRunConfig(feats, {
    encoder: { kind: 'audio-transformer', preset: 'tiny', frontend: 'linear', inputDim: 80, dim: 16, layers: 1, heads: 2, ffnDim: 32, posConv: null },
    data: { kind: 'features', train: { features: join(feats, 'train') }, batchSize: 2 },
  });
  const file = join(dir, 'run.json');
  writeFileSync(file, JSON.stringify(config));
  const out = join(dir, 'run');
  await assert.rejects(
    runTrain(new Args(['--config', file, '--out', out, '--backend', 'cpu', '--no-progress'], ['resume', 'progress']), { buildEncoder: buildTinyOrRealEncoder, methods: TINY_METHODS }),
    new RegExp(`${file}: encoder\\.inputDim: 80 values per frame expected, but the training features have 3 dims \\(set encoder\\.inputDim: 3\\)`),
  );
  assert.ok(!existsSync(out), `no run folder left: ${existsSync(out) ? readdirSync(out).join(', ') : ''}`);
});
