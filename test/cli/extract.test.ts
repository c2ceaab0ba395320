/**
 * `speech-ssl extract` end to end, spawning the real CLI on temp folders: outputs equal the library's
 * features, bad files are reported and skipped, threads and shards change nothing in the results, shard
 * files line up with the manifest, and a killed run resumes cleanly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath } from '../helpers/paths.ts';
import { readNpy } from '../../src/util/npy.ts';
import { readManifest } from '../../src/data/manifest.ts';
import { createFeaturizer } from '../../src/features/featurizer.ts';
import { featurizeFile } from '../../src/features/extract/featurize-file.ts';
import { listFiles, runCli, writeBadCorpus, writeGoodCorpus } from './cli-helpers.ts';
import { encodeWav, testSignal } from '../helpers/audio-files.ts';

const tmp = mkdtempSync(join(tmpdir(), 'speech-ssl-extract-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const goodDir = join(tmp, 'good');
const goodRels = writeGoodCorpus(goodDir);
const npyOf = (rel: string) => rel.replace(/\.(wav|flac)$/, '.npy');

test('bad files are skipped with one stderr line and a failures.tsv row each; good files are written; exit 1', async () => {
  const mixed = join(tmp, 'mixed');
  const good = writeGoodCorpus(mixed, 4);
  const bad = writeBadCorpus(mixed);
  const out = join(tmp, 'out-mixed');
  const r = await runCli(['extract', mixed, '--out', out, '--features', 'mfcc', '--deltas']);
  assert.equal(r.code, 1, r.stderr);
  const skipLines = r.stderr.split('\n').filter((l) => l.startsWith('extract: skipped '));
  assert.equal(skipLines.length, bad.size, r.stderr);
  const rows = readFileSync(join(out, 'failures.tsv'), 'utf8').trim().split('\n');
  assert.equal(rows[0], 'path\terror');
  assert.equal(rows.length - 1, bad.size);
  for (const [rel, why] of bad) {
    const path = join(mixed, rel);
    assert.equal(skipLines.filter((l) => l.includes(path)).length, 1, `one stderr line for ${rel}`);
    const row = rows.find((l) => l.startsWith(path + '\t'));
    assert.ok(row, `failures.tsv row for ${rel}`);
    assert.match(row!, why, rel);
    assert.ok(!existsSync(join(out, npyOf(rel))), `no output for ${rel}`);
  }
  const f = await createFeaturizer('mfcc', { deltas: true });
  for (const rel of good) {
    const got = readNpy(join(out, npyOf(rel)));
    const expected = (await featurizeFile(join(mixed, rel), f, rel)).matrix;
    assert.deepEqual(got.shape, [expected.frames, 39]);
    assert.deepEqual(got.data, expected.data, rel);
  }
  assert.match(r.stderr, /extract: 11 files, 4 written, 0 already done, 7 failed/);
  const config = JSON.parse(readFileSync(join(out, 'features.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual([config.kind, config.dims, config.deltas], ['mfcc', 39, true]);
});

test('--jobs 2 (worker threads) writes the same bytes as one thread; Kaldi flags in kebab case apply', async () => {
  const flags = ['--features', 'fbank', '--num-mel-bins', '40', '--frame-shift', '12.5', '--snip-edges=false', '--dither', '0.1', '--seed', '7'];
  const [one, two] = await Promise.all([runCli(['extract', goodDir, '--out', join(tmp, 'j1'), ...flags]), runCli(['extract', goodDir, '--out', join(tmp, 'j2'), '--jobs', '2', ...flags])]);
  assert.equal(one.code, 0, one.stderr);
  assert.equal(two.code, 0, two.stderr);
  const files = listFiles(join(tmp, 'j1'));
  assert.deepEqual(files, [...goodRels.map(npyOf), 'features.json'].sort());
  assert.deepEqual(listFiles(join(tmp, 'j2')), files);
  for (const f of files) assert.deepEqual(readFileSync(join(tmp, 'j2', f)), readFileSync(join(tmp, 'j1', f)), f);
  const first = readNpy(join(tmp, 'j1', npyOf(goodRels[0])));
  assert.equal(first.shape[1], 40);
});

test('--shard I/N: three independent runs cover the whole corpus once, identical to one run', async () => {
  const whole = join(tmp, 'whole');
  const sharded = join(tmp, 'sharded');
  const runs = await Promise.all([
    runCli(['extract', goodDir, '--out', whole]),
    ...[0, 1, 2].map((i) => runCli(['extract', goodDir, '--out', sharded, '--shard', `${i}/3`])),
  ]);
  for (const r of runs) assert.equal(r.code, 0, r.stderr);
  const written = runs.slice(1).map((r) => Number(/(\d+) written/.exec(r.stderr)![1]));
  assert.deepEqual(written, [3, 3, 3]);
  assert.deepEqual(listFiles(sharded), listFiles(whole));
  for (const f of listFiles(whole)) assert.deepEqual(readFileSync(join(sharded, f)), readFileSync(join(whole, f)), f);
  const bad = await runCli(['extract', goodDir, '--out', sharded, '--shard', '3/3']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--shard: expected I\/N with 0 <= I < N, got 3\/3/);
});

test('--concat from a manifest: fairseq {split}_{rank}_{nshard}.npy + .len in manifest order', async () => {
  const man = join(tmp, 'man');
  const m = await runCli(['manifest', goodDir, '--out', join(man, 'train.tsv')]);
  assert.equal(m.code, 0, m.stderr);
  const out = join(tmp, 'concat');
  const runs = await Promise.all([0, 1].map((i) => runCli(['extract', join(man, 'train.tsv'), '--out', out, '--concat', '--shard', `${i}/2`, '--features', 'mfcc', '--deltas'])));
  for (const r of runs) assert.equal(r.code, 0, r.stderr);
  const entries = readManifest(join(man, 'train.tsv')).entries;
  const f = await createFeaturizer('mfcc', { deltas: true });
  const perFile: Float32Array[] = [];
  for (const e of entries) perFile.push((await featurizeFile(join(goodDir, e.path), f, e.path)).matrix.data);
  let k = 0;
  for (const [rank, count] of [[0, 4], [1, 5]]) {
    const lens = readFileSync(join(out, `train_${rank}_2.len`), 'utf8').trim().split('\n').map(Number);
    assert.equal(lens.length, count, `shard ${rank} holds ${count} utterances (fairseq rounding of 9/2)`);
    const npy = readNpy(join(out, `train_${rank}_2.npy`));
    assert.deepEqual(npy.shape, [lens.reduce((a, b) => a + b, 0), 39]);
    let row = 0;
    for (const len of lens) {
      assert.equal(len * 39, perFile[k].length);
      assert.deepEqual((npy.data as Float32Array).subarray(row * 39, (row + len) * 39), perFile[k], entries[k].path);
      row += len;
      k++;
    }
  }
  assert.equal(k, entries.length);
  // Finished shard files make a rerun a no-op.
  const again = await runCli(['extract', join(man, 'train.tsv'), '--out', out, '--concat', '--shard', '0/2', '--features', 'mfcc', '--deltas']);
  assert.match(again.stderr, /0 written, 4 already done/);
  const noSplit = await runCli(['extract', goodDir, '--out', join(tmp, 'nosplit'), '--concat']);
  assert.equal(noSplit.code, 2);
  assert.match(noSplit.stderr, /--split: --concat needs --split NAME/);
});

test('a run killed mid-way resumes: finished outputs kept, the rest written, stale temp files removed', async () => {
  const big = join(tmp, 'big');
  const names: string[] = [];
  for (let i = 0; i < 16; i++) {
    const rel = `u${String(i).padStart(2, '0')}.wav`;
    mkdirSync(big, { recursive: true });
    writeFileSync(join(big, rel), encodeWav({ sampleRate: 16000, channels: [testSignal(16000 * 25, 16000, 100 + i)], format: 'pcm16' }), { flag: 'w' });
    names.push(rel);
  }
  const out = join(tmp, 'resumed');
  const child = spawn(cliPath, ['extract', big, '--out', out], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  for (;;) {
    await new Promise((r) => setTimeout(r, 10));
    const done = existsSync(out) ? readdirSync(out).filter((f) => f.endsWith('.npy')).length : 0;
    if (done >= 2) break;
  }
  child.kill('SIGKILL');
  await exited;
  const before = readdirSync(out).filter((f) => f.endsWith('.npy'));
  assert.ok(before.length >= 2 && before.length < names.length, `killed part-way (${before.length} of ${names.length} written)`);
  // What a kill during a write leaves, for this run's outputs and for an output of someone else's shard.
  writeFileSync(join(out, '.u15.npy.4242.1.tmp'), 'partial');
  writeFileSync(join(out, '.not-ours.npy.4242.2.tmp'), 'another shard is writing this');
  const r = await runCli(['extract', big, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`${names.length - before.length} written, ${before.length} already done, 0 failed`));
  const after = readdirSync(out);
  assert.deepEqual(after.filter((f) => f.endsWith('.npy')).sort(), names.map(npyOf).sort());
  assert.deepEqual(after.filter((f) => f.endsWith('.tmp')), ['.not-ours.npy.4242.2.tmp']);
  const f = await createFeaturizer('fbank');
  for (const rel of [names[0], names[names.length - 1]]) {
    const got = readNpy(join(out, npyOf(rel)));
    assert.deepEqual(got.data, (await featurizeFile(join(big, rel), f, rel)).matrix.data, rel);
  }
});

test('usage errors exit 2 with the flag named; --help lists the Kaldi flags', async () => {
  const r = await runCli(['extract', goodDir, '--out', join(tmp, 'x'), '--num-mel-bin', '80']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown option: --num-mel-bin/);
  const h = await runCli(['extract', '--help']);
  assert.equal(h.code, 0);
  for (const flag of ['--num-mel-bins', '--frame-shift', '--snip-edges', '--preemphasis-coefficient', '--window-type', '--num-ceps', '--cepstral-lifter', '--n-fft', '--deltas', '--cmvn', '--shard', '--jobs', '--concat']) {
    assert.ok(h.stdout.includes(flag), flag);
  }
});
