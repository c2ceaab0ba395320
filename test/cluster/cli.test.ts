import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpy, readNpy } from '../../src/util/npy.ts';
import { Rng } from '../../src/util/rng.ts';
import { cliPath } from '../helpers/paths.ts';

function cli(...args: string[]) {
  const r = spawnSync(cliPath, args, { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Shards of 6 utterances (0.5 s of 16 kHz audio each -> 50 frames at 100 Hz) around 3 planted centres. */
function corpus(dir: string) {
  const rng = new Rng(3);
  const dims = 5, frames = 50, centres = [[0, 0, 0, 0, 0], [10, 0, 0, 0, 0], [0, 10, 0, 0, 0]];
  for (let rank = 0; rank < 2; rank++) {
    const data = new Float32Array(3 * frames * dims);
    for (let r = 0; r < 3 * frames; r++) for (let t = 0; t < dims; t++) data[r * dims + t] = centres[r % 3][t] + rng.normal(0, 0.3);
    writeNpy(join(dir, `train_${rank}_2.npy`), data, [3 * frames, dims]);
    writeFileSync(join(dir, `train_${rank}_2.len`), '50\n50\n50\n');
  }
  const tsv = ['/audio', ...Array.from({ length: 6 }, (_, i) => `u${i}.wav\t8000`)].join('\n') + '\n';
  writeFileSync(join(dir, 'train.tsv'), tsv);
  writeFileSync(join(dir, 'short.tsv'), tsv.split('\n').slice(0, 6).join('\n') + '\n');
}

test('speech-ssl kmeans writes centroids and sidecar; label writes .km and dict.km.txt checked against the manifest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-'));
  corpus(dir);
  const km = cli('kmeans', dir, '--out', join(dir, 'km3'), '--k', '3', '--batch-size', '64', '--n-init', '2', '--quiet');
  assert.equal(km.code, 0, km.err);
  const c = readNpy(join(dir, 'km3.npy'));
  assert.deepEqual(c.shape, [3, 5]);
  const side = JSON.parse(readFileSync(join(dir, 'km3.json'), 'utf8'));
  assert.equal(side.k, 3);
  assert.equal(side.seed, 0);
  assert.equal(side.input.utterances, 6);
  assert.equal(side.config.batchSize, 64);
  assert.ok(side.inertiaPerFrame < 5 * 0.3 ** 2 * 1.2, `inertia per frame ${side.inertiaPerFrame}`);
  assert.equal(side.threads, 1);
  // Seeding threads change the time, not the centroids.
  const km2 = cli('kmeans', dir, '--out', join(dir, 'km3t'), '--k', '3', '--batch-size', '64', '--n-init', '2', '--threads', '2', '--quiet');
  assert.equal(km2.code, 0, km2.err);
  assert.deepEqual([...readNpy(join(dir, 'km3t.npy')).data], [...c.data]);
  assert.equal(JSON.parse(readFileSync(join(dir, 'km3t.json'), 'utf8')).threads, 2);

  const lab = cli('label', dir, '--centroids', join(dir, 'km3'), '--out', join(dir, 'lab'), '--manifest', join(dir, 'train.tsv'), '--label-rate', '100');
  assert.equal(lab.code, 0, lab.err);
  const lines = readFileSync(join(dir, 'lab', 'train.km'), 'utf8').trim().split('\n');
  assert.equal(lines.length, 6);
  for (const l of lines) {
    const ids = l.split(' ').map(Number);
    assert.equal(ids.length, 50);
    // Frames cycle through the 3 planted centres, so labels cycle with period 3 over 3 distinct ids.
    for (let i = 3; i < ids.length; i++) assert.equal(ids[i], ids[i - 3]);
    assert.equal(new Set(ids).size, 3);
  }
  const dict = readFileSync(join(dir, 'lab', 'dict.km.txt'), 'utf8');
  assert.equal(dict.trim().split('\n').length, 3);
  assert.equal(dict.trim().split('\n').reduce((n, l) => n + Number(l.split(' ')[1]), 0), 300, 'counts over the 6 x 50 training frames');

  // Labelling another split afterwards writes its .km but keeps the training split's dictionary.
  copyFileSync(join(dir, 'train_0_2.npy'), join(dir, 'valid_0_1.npy'));
  copyFileSync(join(dir, 'train_0_2.len'), join(dir, 'valid_0_1.len'));
  writeFileSync(join(dir, 'valid.tsv'), readFileSync(join(dir, 'train.tsv'), 'utf8').split('\n').slice(0, 4).join('\n') + '\n');
  const valid = cli('label', dir, '--split', 'valid', '--centroids', join(dir, 'km3'), '--out', join(dir, 'lab'), '--manifest', join(dir, 'valid.tsv'), '--label-rate', '100');
  assert.equal(valid.code, 0, valid.err);
  assert.equal(readFileSync(join(dir, 'lab', 'valid.km'), 'utf8').trim().split('\n').length, 3);
  assert.equal(readFileSync(join(dir, 'lab', 'dict.km.txt'), 'utf8'), dict, 'dict.km.txt unchanged by the valid split');
  assert.match(valid.out, /kept: written for train/);
});

test('label refuses a manifest with a different line count and a wrong label rate, writing nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-'));
  corpus(dir);
  assert.equal(cli('kmeans', dir, '--out', join(dir, 'km3'), '--k', '3', '--batch-size', '64', '--n-init', '1', '--quiet').code, 0);
  const short = cli('label', dir, '--centroids', join(dir, 'km3.npy'), '--out', join(dir, 'a'), '--manifest', join(dir, 'short.tsv'));
  assert.equal(short.code, 2);
  assert.match(short.err, /short\.tsv: the features hold 6 utterances .* but the manifest has 5 lines/);
  const rate = cli('label', dir, '--centroids', join(dir, 'km3'), '--out', join(dir, 'b'), '--manifest', join(dir, 'train.tsv'), '--label-rate', '50');
  assert.equal(rate.code, 2);
  assert.match(rate.err, /train\.km: labels run at about 100\.0 frames per second of audio but the label rate is 50 Hz/);
  assert.ok(!existsSync(join(dir, 'b', 'train.km')));
  const dims = cli('label', dir, '--centroids', join(dir, 'bad'), '--out', join(dir, 'c'));
  assert.equal(dims.code, 2);
  writeNpy(join(dir, 'wide.npy'), new Float32Array(12), [2, 6]);
  const wide = cli('label', dir, '--centroids', join(dir, 'wide'), '--out', join(dir, 'c'));
  assert.match(wide.err, /wide\.npy: centroids have 6 dims but the features have 5/);
  const typo = cli('kmeans', dir, '--out', join(dir, 'x'), '--n-inits', '2');
  assert.match(typo.err, /unknown option: --n-inits/);
});
