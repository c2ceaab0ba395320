import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as ssl from '../src/index.ts';
import { repoRoot } from './helpers/paths.ts';

test('library surface: the README example runs (decode, resample, fbank, MFCC-39, k-means, assignment)', async () => {
  const audio = await ssl.decodeAudio(join(repoRoot, 'recipes/mini/corpus/3_theo_7.wav'));
  assert.equal(audio.sampleRate, 8000);
  const wave = ssl.resample(audio.mono, audio.sampleRate, 16000);
  assert.ok(Math.abs(wave.length - 2 * audio.mono.length) <= 1);
  const fbank = ssl.kaldiFbank(wave, { numMelBins: 80 });
  const mfcc = ssl.appendDeltas(ssl.kaldiMfcc(wave));
  assert.equal(fbank.dims, 80);
  assert.equal(mfcc.dims, 39);
  // 25 ms frames every 10 ms with snip_edges: 1 + floor((samples - 400) / 160)
  assert.equal(fbank.frames, 1 + Math.floor((wave.length - 400) / 160));
  assert.equal(mfcc.frames, fbank.frames);
  const km = ssl.kmeans(mfcc.data, mfcc.frames, mfcc.dims, { k: 4, seed: 0 });
  assert.equal(km.centroids.length, 4 * 39);
  assert.ok(Number.isFinite(km.inertia) && km.inertia > 0);
  // one centroid per cluster can only lower the inertia below that of the overall mean
  const mean = new Float64Array(39);
  for (let t = 0; t < mfcc.frames; t++) for (let d = 0; d < 39; d++) mean[d] += mfcc.data[t * 39 + d] / mfcc.frames;
  let total = 0;
  for (let t = 0; t < mfcc.frames; t++) for (let d = 0; d < 39; d++) total += (mfcc.data[t * 39 + d] - mean[d]) ** 2;
  assert.ok(km.inertia < total, `${km.inertia} < ${total}`);
});

test('library surface: every name it promises is there', () => {
  for (const name of ['createFeaturizer', 'readManifest', 'writeNpy', 'miniBatchKMeans', 'openFeatureSet', 'labelUtterances', 'initBackend', 'buildEncoder', 'METHODS', 'buildRun', 'loadTrainedEncoder', 'trainLinearProbe', 'knnPredict', 'clusterQuality', 'abx', 'exportCheckpoint', 'OnnxRunner', 'writeRunReport']) {
    assert.ok((ssl as Record<string, unknown>)[name] !== undefined, name);
  }
  for (const m of ['hubert', 'cpc', 'wav2vec2', 'temporal-gap', 'byol', 'distill', 'rotation', 'simclr', 'masked-patch']) assert.ok(m in ssl.METHODS, m);
});
