/** The Featurizer seam: kinds from the --features string, options, post-processing, Meyda, and the file path. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Meyda from 'meyda';
import { createFeaturizer, featurizerKind, type Featurizer } from '../../src/features/featurizer.ts';
import { featurizeFile } from '../../src/features/extract/featurize-file.ts';
import { decodeAudio } from '../../src/audio/decode.ts';
import { resample } from '../../src/audio/resample.ts';
import { kaldiFbank, kaldiMfcc } from '../../src/audio/kaldi.ts';
import { appendDeltas } from '../../src/audio/deltas.ts';
import { melSpectrogram } from '../../src/audio/melspec.ts';
import { InputError } from '../../src/util/errors.ts';
import { encodeFlac, encodeWav, testSignal } from '../helpers/audio-files.ts';

const dir = mkdtempSync(join(tmpdir(), 'speech-ssl-feat-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const x16 = testSignal(16000, 16000, 9);

test('kinds: fbank (80 bins), mfcc (13, 39 with --deltas), melspec, meyda; unknown kinds named', async () => {
  const fb = await createFeaturizer('fbank');
  assert.deepEqual([fb.kind, fb.dims, fb.sampleRate], ['fbank', 80, 16000]);
  assert.deepEqual((await fb.compute(x16)).data, kaldiFbank(x16, { numMelBins: 80 }).data);
  const mf = await createFeaturizer('mfcc', { deltas: true });
  assert.equal(mf.dims, 39);
  assert.deepEqual((await mf.compute(x16)).data, appendDeltas(kaldiMfcc(x16)).data);
  const ms = await createFeaturizer('melspec', { log: true, nMels: 64 });
  assert.deepEqual((await ms.compute(x16)).data, melSpectrogram(x16, { log: true, nMels: 64 }).data);
  assert.throws(() => featurizerKind('spectrogram'), (e: unknown) => e instanceof InputError && /--features: unknown feature kind "spectrogram"/.test(e.message));
  await assert.rejects(createFeaturizer('fbank', { numMelBins: 2 }), (e: unknown) => e instanceof InputError && /--num-mel-bins/.test(e.message));
  await assert.rejects(createFeaturizer('meyda:rms,bogus'), (e: unknown) => e instanceof InputError && /unknown Meyda descriptor "bogus"/.test(e.message));
  await assert.rejects(createFeaturizer('fbank', { cmvn: 'sometimes' }), /--cmvn/);
});

test('config records what made the features', async () => {
  const f = await createFeaturizer('mfcc', { deltas: true, cmvn: 'mean', numMelBins: 30 });
  assert.equal(f.config.numMelBins, 30);
  assert.equal(f.config.deltas, true);
  assert.equal(f.config.cmvn, 'mean');
  assert.equal(f.config.dims, 39);
  assert.equal(f.config.features, 'mfcc');
});

test('cmvn meanvar through the featurizer: zero-mean unit-variance columns', async () => {
  const f = await createFeaturizer('fbank', { cmvn: 'meanvar', numMelBins: 40 });
  const m = await f.compute(x16);
  for (let d = 0; d < 40; d++) {
    let s = 0;
    let s2 = 0;
    for (let t = 0; t < m.frames; t++) {
      s += m.data[t * 40 + d];
      s2 += m.data[t * 40 + d] ** 2;
    }
    assert.ok(Math.abs(s / m.frames) < 1e-4 && Math.abs(s2 / m.frames - 1) < 1e-3, `column ${d}`);
  }
});

test('meyda: each row is Meyda run on that frame; vector descriptors flatten in order', async () => {
  const f = await createFeaturizer('meyda:rms,zcr,chroma,loudness', { hopLength: 256 });
  assert.equal(f.dims, 1 + 1 + 12 + 25);
  const m = await f.compute(x16);
  assert.equal(m.frames, 1 + Math.floor((16000 - 512) / 256));
  const meyda = Meyda as unknown as { bufferSize: number; sampleRate: number; extract(n: string[], s: Float32Array): Record<string, unknown> };
  for (const t of [0, 7, m.frames - 1]) {
    meyda.bufferSize = 512;
    meyda.sampleRate = 16000;
    const r = meyda.extract(['rms', 'zcr', 'chroma'], x16.slice(t * 256, t * 256 + 512));
    assert.ok(Math.abs(m.data[t * f.dims] - (r.rms as number)) < 1e-6, `frame ${t} rms`);
    assert.equal(m.data[t * f.dims + 1], r.zcr);
    const chroma = r.chroma as number[];
    for (let c = 0; c < 12; c++) assert.ok(Math.abs(m.data[t * f.dims + 2 + c] - chroma[c]) < 1e-6);
  }
});

test('featurizeFile: the chunked path (small blocks) equals decoding the whole file then computing', async () => {
  // 3 s of 44.1 kHz stereo through resampling to 16 kHz, in 1000-frame blocks vs whole.
  const a = testSignal(44100 * 3, 44100, 4);
  const b = testSignal(44100 * 3, 44100, 5);
  const wavPath = join(dir, 'long.wav');
  writeFileSync(wavPath, encodeWav({ sampleRate: 44100, channels: [a, b], format: 'pcm16' }));
  const flacPath = join(dir, 'long.flac');
  writeFileSync(flacPath, encodeFlac(44100, [a, b], 16, 4096));
  for (const spec of ['fbank', 'mfcc', 'melspec']) {
    const f = await createFeaturizer(spec, spec === 'mfcc' ? { deltas: true } : {});
    const whole = await decodeAudio(wavPath);
    const expected = await f.compute(resample(whole.mono, 44100, 16000));
    for (const path of [wavPath, flacPath]) {
      const got = await featurizeFile(path, f, 'long', { blockFrames: 1000, flacChunkBytes: 5000 });
      assert.equal(got.seconds, 3);
      assert.deepEqual(got.matrix, expected, `${spec} ${path}`);
    }
  }
});

test('an async featurizer without a stream (the shape of a model) plugs into the same file path', async () => {
  const calls: number[] = [];
  const energyPerSecond: Featurizer = {
    kind: 'test-async',
    sampleRate: 8000,
    dims: 1,
    config: {},
    async compute(w) {
      calls.push(w.length);
      await new Promise((r) => setTimeout(r, 1));
      const frames = Math.floor(w.length / 8000);
      const data = new Float32Array(frames);
      for (let t = 0; t < frames; t++) for (let i = 0; i < 8000; i++) data[t] += w[t * 8000 + i] ** 2;
      return { data, frames, dims: 1 };
    },
  };
  const p = join(dir, 'async.wav');
  const sig = testSignal(32000, 16000, 2);
  writeFileSync(p, encodeWav({ sampleRate: 16000, channels: [sig], format: 'float32' }));
  const r = await featurizeFile(p, energyPerSecond, 'async', { blockFrames: 777 });
  assert.deepEqual(calls, [16000], 'called once with the whole waveform at its own rate');
  const y = resample(sig, 16000, 8000);
  let e0 = 0;
  for (let i = 0; i < 8000; i++) e0 += y[i] ** 2;
  assert.equal(r.matrix.frames, 2);
  assert.ok(Math.abs(r.matrix.data[0] - e0) < 1e-4 * e0, `${r.matrix.data[0]} vs ${e0}`);
});

test('featurizeFile: short input is an error naming the file unless --allow-short', async () => {
  const p = join(dir, 'short.wav');
  writeFileSync(p, encodeWav({ sampleRate: 16000, channels: [testSignal(300, 16000)], format: 'pcm16' }));
  await assert.rejects(featurizeFile(p, await createFeaturizer('fbank'), 'short'), (e: unknown) => e instanceof InputError && e.message.startsWith(`${p}: input has 300 samples`) && /--allow-short/.test(e.message));
  const r = await featurizeFile(p, await createFeaturizer('fbank', { allowShort: true }), 'short');
  assert.deepEqual([r.matrix.frames, r.matrix.dims], [0, 80]);
});
