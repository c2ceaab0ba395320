import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/util/rng.ts';
import { writeNpy } from '../../src/util/npy.ts';
import { openFeatureSet, readUtterance, sampleUtterances, loadFrames } from '../../src/cluster/feature-set.ts';

/** Two shards of split "train": utterance u has frames filled with the value u (4 dims). */
function makeShards(dir: string, lens: number[][], dims = 4): void {
  let u = 0;
  lens.forEach((shardLens, rank) => {
    const rows = shardLens.reduce((a, b) => a + b, 0);
    const data = new Float32Array(rows * dims);
    let at = 0;
    for (const l of shardLens) {
      data.fill(u++, at, at + l * dims);
      at += l * dims;
    }
    writeNpy(join(dir, `train_${rank}_${lens.length}.npy`), data, [rows, dims]);
    writeFileSync(join(dir, `train_${rank}_${lens.length}.len`), shardLens.join('\n') + '\n');
  });
}

test('shards: all ranks in order, utterances read by row range', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-'));
  makeShards(dir, [[3, 2], [4]]);
  const set = openFeatureSet(dir);
  assert.equal(set.kind, 'shards');
  assert.equal(set.dims, 4);
  assert.equal(set.totalFrames, 9);
  assert.deepEqual(set.utterances.map((u) => [u.id, u.offset, u.frames]), [['0', 0, 3], ['1', 3, 2], ['2', 0, 4]]);
  assert.deepEqual([...readUtterance(set, set.utterances[1])], new Array(8).fill(1));
  assert.deepEqual([...readUtterance(set, set.utterances[2])], new Array(16).fill(2));
  const all = loadFrames(set, set.utterances);
  assert.equal(all.frames, 9);
  assert.deepEqual([...all.data].filter((_, i) => i % 4 === 0), [0, 0, 0, 1, 1, 2, 2, 2, 2]);
});

test('shards: missing rank, bad .len and several splits are clear errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-'));
  makeShards(dir, [[3, 2], [4]]);
  rmSync(join(dir, 'train_1_2.npy'));
  assert.throws(() => openFeatureSet(dir), /missing shard 1 of 2 \(train_1_2\.npy\)/);
  makeShards(dir, [[3, 2], [4]]);
  writeFileSync(join(dir, 'train_0_2.len'), '3\n3\n');
  assert.throws(() => openFeatureSet(dir), /train_0_2\.len: lengths add up to 6 frames but .*train_0_2\.npy has 5 rows/);
  makeShards(dir, [[3, 2], [4]]);
  writeNpy(join(dir, 'valid_0_1.npy'), new Float32Array(8), [2, 4]);
  writeFileSync(join(dir, 'valid_0_1.len'), '2\n');
  assert.throws(() => openFeatureSet(dir), /several splits here \(train, valid\): pass the split/);
  assert.equal(openFeatureSet(dir, 'valid').utterances.length, 1);
  assert.throws(() => openFeatureSet(dir, 'test'), /no shard files test_<rank>_<nshard>\.npy/);
});

test('matrix with .len, matrix without (rows are units), and per-utterance folders', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-'));
  writeNpy(join(dir, 'm.npy'), new Float32Array(10 * 3), [10, 3]);
  writeFileSync(join(dir, 'm.len'), '4\n6\n');
  assert.deepEqual(openFeatureSet(join(dir, 'm.npy')).utterances.map((u) => u.frames), [4, 6]);
  writeNpy(join(dir, 'n.npy'), new Float32Array(5 * 3), [5, 3]);
  assert.equal(openFeatureSet(join(dir, 'n.npy')).utterances.length, 5);
  const folder = join(dir, 'feats');
  mkdirSync(join(folder, 'spk1'), { recursive: true });
  writeNpy(join(folder, 'spk1', 'b.npy'), new Float32Array(6), [3, 2]);
  writeNpy(join(folder, 'a.npy'), new Float32Array(4), [2, 2]);
  const set = openFeatureSet(folder);
  assert.equal(set.kind, 'folder');
  assert.deepEqual(set.utterances.map((u) => u.id), ['a', 'spk1/b']);
  writeNpy(join(folder, 'c.npy'), new Float32Array(6), [2, 3]);
  assert.throws(() => openFeatureSet(folder), /c\.npy: has 3 dims, the first file 2/);
  assert.throws(() => openFeatureSet(join(dir, 'nothing')), /no such file or folder/);
});

test('--percent samples utterances (fairseq fraction semantics), seeded, in corpus order', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-'));
  makeShards(dir, [[1, 1, 1, 1, 1], [1, 1, 1, 1, 1]]);
  const set = openFeatureSet(dir);
  const a = sampleUtterances(set, 0.3, new Rng(1));
  assert.equal(a.length, 3);
  assert.deepEqual(a, sampleUtterances(set, 0.3, new Rng(1)));
  const ids = a.map((u) => Number(u.id));
  assert.deepEqual(ids, [...ids].sort((x, y) => x - y));
  assert.equal(sampleUtterances(set, -1, new Rng(1)).length, 10);
  assert.throws(() => sampleUtterances(set, 10, new Rng(1)), /--percent: expected a fraction in \(0, 1\]/);
  // Frames of the sample are the sampled utterances' frames.
  assert.deepEqual([...loadFrames(set, a).data].filter((_, i) => i % 4 === 0), ids);
});

test('labelling a folder: every unreadable utterance is reported together; manifest order is followed', async () => {
  const { labelUtterances, orderByManifest } = await import('../../src/cluster/label-features.ts');
  const dir = mkdtempSync(join(tmpdir(), 'fs-'));
  writeNpy(join(dir, 'a.npy'), Float32Array.from([0, 0, 10, 10]), [2, 2]);
  writeNpy(join(dir, 'b.npy'), Float32Array.from([10, 10]), [1, 2]);
  const set = openFeatureSet(dir);
  const centroids = Float32Array.from([0, 0, 10, 10]);
  const manifest = { root: '/x', entries: [{ path: 'b.wav', numSamples: 1 }, { path: 'a.wav', numSamples: 1 }] };
  const ordered = orderByManifest(set, manifest, 'm.tsv');
  assert.deepEqual(labelUtterances(set, ordered, centroids, 2).map((l) => [...l]), [[1], [0, 1]]);
  assert.throws(() => orderByManifest(set, { root: '/x', entries: [{ path: 'c.wav', numSamples: 1 }] }, 'm.tsv'), /m\.tsv: 1 manifest line\(s\) have no feature file \(c\.wav\)/);
  // Corrupt both files after opening: both failures are named in one error.
  writeFileSync(join(dir, 'a.npy'), 'garbage');
  writeNpy(join(dir, 'b.npy'), Float32Array.from([NaN, 1]), [1, 2]);
  assert.throws(() => labelUtterances(set, set.utterances, centroids, 2), (e: Error) => /2 utterance\(s\) could not be labelled/.test(e.message) && /a\.npy: .*bad magic/.test(e.message) && /b\.npy: non-finite value at frame 0/.test(e.message));
});
