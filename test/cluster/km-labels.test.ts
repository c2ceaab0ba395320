import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/util/errors.ts';
import type { Manifest } from '../../src/data/manifest.ts';
import {
  formatKmLine, clusterCounts, formatKmDictionary, writeKmFile, writeKmDictionary, readKmFile, readKmDictionary, validateKmLabels, validateKmFile,
} from '../../src/cluster/km-labels.ts';

const manifest: Manifest = { root: '/data', entries: [{ path: 'a.wav', numSamples: 16000 }, { path: 'b.wav', numSamples: 8000 }] };
const seq = (n: number, v = 1) => new Int32Array(n).fill(v);

test('.km lines, counts and dict.km.txt in fairseq layout; round trip', () => {
  const dir = mkdtempSync(join(tmpdir(), 'km-'));
  const labels = [Int32Array.from([3, 3, 0]), Int32Array.from([1])];
  assert.equal(formatKmLine(labels[0]), '3 3 0');
  assert.deepEqual(clusterCounts(labels, 5), [1, 1, 0, 2, 0]);
  assert.equal(formatKmDictionary([1, 1, 0, 2, 0]), '0 1\n1 1\n2 0\n3 2\n4 0\n');
  writeKmFile(join(dir, 'train.km'), labels);
  writeKmDictionary(join(dir, 'dict.km.txt'), clusterCounts(labels, 5));
  assert.equal(readFileSync(join(dir, 'train.km'), 'utf8'), '3 3 0\n1\n');
  assert.deepEqual(readKmFile(join(dir, 'train.km')).map((a) => [...a]), [[3, 3, 0], [1]]);
  assert.equal(readKmDictionary(join(dir, 'dict.km.txt')), 5);
});

test('empty dictionaries and empty label sets are refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'km-'));
  assert.throws(() => formatKmDictionary([]), /empty dictionary/);
  assert.throws(() => writeKmDictionary(join(dir, 'dict.km.txt'), [0, 0]), /empty dictionary \(no frames/);
  assert.throws(() => writeKmFile(join(dir, 'x.km'), []), /no utterances/);
  writeFileSync(join(dir, 'empty.txt'), '\n');
  assert.throws(() => readKmDictionary(join(dir, 'empty.txt')), (e: Error) => e instanceof InputError && /empty\.txt: empty dictionary/.test(e.message));
  writeFileSync(join(dir, 'bad.txt'), '0 1\n2 1\n');
  assert.throws(() => readKmDictionary(join(dir, 'bad.txt')), /line 2: expected "1 <count>"/);
  writeFileSync(join(dir, 'bad.km'), '1 2\n3 x\n');
  assert.throws(() => readKmFile(join(dir, 'bad.km')), /bad\.km: line 2, item 2: expected a cluster id, got "x"/);
});

test('validation: line count must match the manifest', () => {
  assert.throws(
    () => validateKmLabels([seq(100)], manifest, { labelRate: 100, sampleRate: 16000 }, { file: 'train.km' }),
    (e: Error) => e instanceof InputError && /train\.km: 1 label lines but the manifest has 2 utterances/.test(e.message),
  );
});

test('validation: labels at 50 Hz checked as 100 Hz (and the reverse) are refused with the rate named', () => {
  const at50 = [seq(50), seq(25)];
  assert.throws(
    () => validateKmLabels(at50, manifest, { labelRate: 100, sampleRate: 16000 }, { file: 'train.km' }),
    (e: Error) => /about 50\.0 frames per second of audio but the label rate is 100 Hz/.test(e.message) && /line 1 \(a\.wav\): 50 labels/.test(e.message),
  );
  const at100 = [seq(98), seq(48)];
  assert.throws(() => validateKmLabels(at100, manifest, { labelRate: 50, sampleRate: 16000 }, { file: 'train.km' }), /label rate is 50 Hz/);
  // Kaldi-style frame counts (a couple of frames short) pass at the right rate.
  const ok = validateKmLabels(at100, manifest, { labelRate: 100, sampleRate: 16000 }, { file: 'train.km' });
  assert.equal(ok.frames, 146);
  assert.ok(Math.abs(ok.observedRate - 146 / 1.5) < 1e-9);
});

test('validation: one utterance off by more than the tolerance, and ids outside the dictionary', () => {
  assert.throws(() => validateKmLabels([seq(100), seq(80)], manifest, { labelRate: 100, sampleRate: 16000 }, { file: 'k' }), /1 problem\(s\): line 2 \(b\.wav\): 80 labels = 0\.800 s at 100 Hz, audio is 0\.500 s \(50 labels expected\)/);
  assert.throws(() => validateKmLabels([seq(100, 7), seq(50)], manifest, { labelRate: 100, sampleRate: 16000 }, { file: 'k', numClusters: 5 }), /line 1: cluster id 7 is outside the dictionary \(5 ids\)/);
});

test('validateKmFile reads .km and dict from disk (the Trainer dataset check)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'km-'));
  writeKmFile(join(dir, 'train.km'), [seq(50, 2), seq(25, 0)]);
  writeKmDictionary(join(dir, 'dict.km.txt'), [25, 0, 50]);
  const r = validateKmFile(join(dir, 'train.km'), manifest, { labelRate: 50, sampleRate: 16000 }, join(dir, 'dict.km.txt'));
  assert.equal(r.utterances, 2);
  assert.throws(() => validateKmFile(join(dir, 'train.km'), manifest, { labelRate: 100, sampleRate: 16000 }, join(dir, 'dict.km.txt')), /label rate is 100 Hz/);
});
