import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpy } from '../../src/util/npy.ts';
import { FeatureDataset } from '../../src/data/features.ts';
import { KmLabels } from '../../src/data/labels.ts';
import { WaveformDataset } from '../../src/data/waveform.ts';
import { buildData } from '../../src/data/registry.ts';
import { Fields } from '../../src/util/fields.ts';
import { InputError } from '../../src/util/errors.ts';
import type { SequenceBatch } from '../../src/data/sequence.ts';

/** Rows whose first value is the global row index, second its utterance. */
function writeShard(dir: string, name: string, lens: number[], firstRow = 0): void {
  const total = lens.reduce((a, b) => a + b, 0);
  const data = new Float32Array(total * 2);
  let row = 0;
  lens.forEach((n, u) => {
    for (let t = 0; t < n; t++, row++) {
      data[row * 2] = firstRow + row;
      data[row * 2 + 1] = u;
    }
  });
  writeNpy(join(dir, `${name}.npy`), data, [total, 2]);
  writeFileSync(join(dir, `${name}.len`), lens.join('\n') + '\n');
}

test('shards: a prefix reads every rank in order, rows on demand; .len and shard problems are named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'feat-'));
  writeShard(dir, 'train_0_2', [3, 4]);
  writeShard(dir, 'train_1_2', [5], 7);
  const ds = FeatureDataset.fromShards(join(dir, 'train'));
  assert.equal(ds.size, 3);
  assert.equal(ds.dims, 2);
  assert.deepEqual([0, 1, 2].map((i) => ds.length(i)), [3, 4, 5]);
  assert.deepEqual(Array.from(ds.read(1, 1, 3)), [4, 1, 5, 1]);
  assert.deepEqual(Array.from(ds.read(2, 0, 2)), [7, 0, 8, 0]);
  assert.equal(ds.id(2), 'train_1_2.npy:0');
  assert.equal(FeatureDataset.fromShards(join(dir, 'train_0_2.npy')).size, 2);

  writeShard(dir, 'bad_0_1', [3, 4]);
  writeFileSync(join(dir, 'bad_0_1.len'), '3\n5\n');
  assert.throws(() => FeatureDataset.fromShards(join(dir, 'bad')), /bad_0_1\.len: the \.len lines sum to 8 frames, the shard has 7 rows/);
  writeShard(dir, 'gap_0_3', [2]);
  writeShard(dir, 'gap_2_3', [2]);
  assert.throws(() => FeatureDataset.fromShards(join(dir, 'gap')), /missing shard\(s\) gap_1_3\.npy/);
  assert.throws(() => FeatureDataset.fromShards(join(dir, 'nothing')), /no shard files nothing_<rank>_<nshard>\.npy/);
});

test('folder: manifest order with audio extensions mapped to .npy; missing files named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'featdir-'));
  mkdirSync(join(dir, 'spk'));
  writeNpy(join(dir, 'spk', 'b.npy'), new Float32Array([1, 2, 3, 4]), [2, 2]);
  writeNpy(join(dir, 'a.npy'), new Float32Array([5, 6]), [1, 2]);
  writeFileSync(join(dir, 'list.tsv'), `/audio\nspk/b.flac\t320\na.wav\t160\n`);
  const ds = FeatureDataset.fromFolder(dir, join(dir, 'list.tsv'));
  assert.deepEqual([ds.id(0), ds.id(1)], ['spk/b.npy', 'a.npy']);
  assert.deepEqual(Array.from(ds.read(0, 1, 2)), [3, 4]);
  const sorted = FeatureDataset.fromFolder(dir);
  assert.deepEqual([sorted.id(0), sorted.id(1)], ['a.npy', 'spk/b.npy']);
  writeFileSync(join(dir, 'list2.tsv'), `/audio\nc.wav\t10\n`);
  assert.throws(() => FeatureDataset.fromFolder(dir, join(dir, 'list2.tsv')), /c\.npy: no features for manifest entry "c\.npy"/);
});

test('km labels: counts, dictionary size, rate mismatches and bad lines are reported with file and line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'km-'));
  writeShard(dir, 'train_0_1', [4, 6]);
  writeFileSync(join(dir, 'train.km'), '3 3 1 0\n2 2 2 5 5 5\n');
  const km = new KmLabels(join(dir, 'train.km'));
  assert.equal(km.size, 2);
  assert.deepEqual(Array.from(km.line(1)), [2, 2, 2, 5, 5, 5]);
  assert.equal(km.numClasses, 6);
  writeFileSync(join(dir, 'dict.km.txt'), Array.from({ length: 10 }, (_, i) => `${i} 1`).join('\n') + '\n');
  assert.equal(new KmLabels(join(dir, 'train.km')).numClasses, 10);

  const ds = FeatureDataset.fromShards(join(dir, 'train'), [{ file: join(dir, 'train.km'), perFrame: 1, tolerance: 0 }]);
  assert.deepEqual(ds.labelSets.map((l) => l.numClasses), [10]);
  assert.deepEqual(Array.from(ds.labels(0, 0)), [3, 3, 1, 0]);

  // 50 Hz labels given to 100 Hz features: every line has half the labels expected.
  writeFileSync(join(dir, 'half.km'), '1 1\n2 2 2\n');
  assert.throws(
    () => FeatureDataset.fromShards(join(dir, 'train'), [{ file: join(dir, 'half.km'), perFrame: 1, tolerance: 0 }]),
    (e: unknown) => e instanceof InputError && /half\.km: 2 utterance\(s\).*line 1 \(train_0_1\.npy:0\): 2 labels for 4 frames, expected 4.*0\.500 labels per frame/.test(e.message),
  );
  assert.equal(FeatureDataset.fromShards(join(dir, 'train'), [{ file: join(dir, 'half.km'), perFrame: 0.5, tolerance: 0 }]).size, 2);
  writeFileSync(join(dir, 'short.km'), '1 1 1 1\n');
  assert.throws(() => FeatureDataset.fromShards(join(dir, 'train'), [{ file: join(dir, 'short.km'), perFrame: 1, tolerance: 1 }]), /short\.km: has 1 lines but the inputs have 2 utterances/);
  writeFileSync(join(dir, 'junk.km'), '1 2\n3 x 4\n');
  assert.throws(() => new KmLabels(join(dir, 'junk.km')), /junk\.km: line 2: unexpected character "x"/);
  writeFileSync(join(dir, 'big.km'), '1 2 3 11\n');
  assert.throws(() => new KmLabels(join(dir, 'big.km')), /label 11 is outside the dictionary's 10 classes/);
  writeFileSync(join(dir, 'empty.km'), '');
  assert.throws(() => new KmLabels(join(dir, 'empty.km')), /empty\.km: empty label file/);
});

test('waveform data: decoded by the loader, planned from manifest lengths; a file that fails is skipped and reported', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wav-'));
  writeFileSync(join(dir, 'train.tsv'), `${dir}\na.wav\t40\nbroken.wav\t30\nc.wav\t20\nd.wav\t25\n`);
  const loader = (file: string) => {
    if (file.endsWith('broken.wav')) throw new InputError('truncated data chunk', { file });
    const n = file.endsWith('a.wav') ? 40 : file.endsWith('c.wav') ? 20 : 24; // d.wav disagrees with the manifest
    return Float32Array.from({ length: n }, (_, i) => i / 100);
  };
  const ds = new WaveformDataset(join(dir, 'train.tsv'), loader);
  assert.equal(ds.size, 4);
  assert.equal(ds.length(1), 30);
  const built = buildData(new Fields({ kind: 'waveform', train: { manifest: 'train.tsv' }, batchSize: 4, maxFrames: 16 }, 'data'), { seed: 1, baseDir: dir, waveformLoader: loader });
  const batch = (await built.train.next()) as SequenceBatch;
  assert.deepEqual(batch.shape, [2, 16], 'waveform batches are [B, T]; the two failed items are left out');
  assert.deepEqual([...batch.ids].sort(), ['a.wav', 'c.wav']);
  const failures = built.failures();
  assert.equal(failures.length, 2);
  assert.ok(failures.some((f) => /broken\.wav.*truncated data chunk/.test(f)));
  assert.ok(failures.some((f) => /d\.wav: decoded 24 samples, the manifest says 25/.test(f)));
});

test('data config: fields are validated and named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dcfg-'));
  writeShard(dir, 'train_0_1', [4, 6]);
  const ctx = { seed: 1, baseDir: dir };
  assert.throws(() => buildData(new Fields({ train: {} }, 'data', 'run.yaml'), ctx), /run\.yaml: data\.train\.features: required/);
  assert.throws(() => buildData(new Fields({ train: { features: 'train' }, batchSize: 0 }, 'data', 'run.yaml'), ctx), /data\.batchSize: expected a number >= 1, got 0/);
  assert.throws(() => buildData(new Fields({ kind: 'video', train: { features: 'train' } }, 'data'), ctx), /data\.kind: expected one of features\|waveform\|image, got "video"/);
  assert.throws(() => buildData(new Fields({ train: { features: 'train' }, batchsize: 3 }, 'data'), ctx), /data\.batchsize: unknown field; known fields here: .*batchSize/);
  assert.throws(() => buildData(new Fields({ train: { features: 'train' }, labelsPerFrame: -1 }, 'data'), ctx), /data\.labelsPerFrame: expected a number > 0/);
  assert.throws(() => buildData(new Fields({ kind: 'waveform', train: { manifest: 'x.tsv' } }, 'data'), ctx), /data\.train: no audio loader is available/);
  const withLoader = { ...ctx, waveformLoader: () => new Float32Array(1) };
  assert.throws(() => buildData(new Fields({ kind: 'waveform', train: { manifest: 'x.tsv' } }, 'data'), withLoader), /x\.tsv: cannot read manifest/);
  const ok = buildData(new Fields({ train: { features: 'train' }, batchSize: 2 }, 'data'), ctx);
  assert.equal(ok.info.inputDims, 2);
  assert.equal(ok.info.numTrain, 2);
});
