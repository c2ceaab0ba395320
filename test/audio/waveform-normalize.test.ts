import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeWaveform } from '../../src/audio/waveform-normalize.ts';
import { buildData } from '../../src/data/registry.ts';
import { Fields } from '../../src/util/fields.ts';
import type { SequenceBatch } from '../../src/data/sequence.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test('normalizeWaveform: (x - mean) / sqrt(biased var + eps), worked by hand', () => {
  // x = [1, 2, 3, 6]: mean 3, biased variance (4 + 1 + 0 + 9) / 4 = 3.5
  const y = normalizeWaveform(Float32Array.from([1, 2, 3, 6]), 0.5);
  const s = 1 / Math.sqrt(4);
  assert.deepEqual(Array.from(y), [-2 * s, -1 * s, 0, 3 * s].map((v) => Math.fround(v)));
  assert.deepEqual(Array.from(normalizeWaveform(new Float32Array(0), 1e-5)), []);
});

test('waveform data with normalize: each decoded utterance is normalised before cropping; refused for feature data', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wav-norm-'));
  writeFileSync(join(dir, 'train.tsv'), `${dir}\na.wav\t8\n`);
  const wav = Float32Array.from([3, 5, 1, 7, 2, 2, 9, 4]);
  const loader = () => wav;
  const built = buildData(new Fields({ kind: 'waveform', train: { manifest: 'train.tsv' }, batchSize: 1, maxFrames: 0, normalize: true, normalizeEps: 1e-5 }, 'data'), { seed: 1, baseDir: dir, waveformLoader: loader });
  const batch = (await built.train.next()) as SequenceBatch;
  assert.deepEqual(Array.from(batch.inputs), Array.from(normalizeWaveform(wav, 1e-5)));
  assert.throws(() => buildData(new Fields({ kind: 'features', train: { features: dir }, normalize: true }, 'data'), { seed: 1, baseDir: dir }), /data\.normalize: unknown field/);
});
