/**
 * Kaldi options beyond the defaults the fixtures cover, each checked against a value derived by hand from
 * Kaldi's definition (or against another path through the code that must agree).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KALDI_EPSILON, kaldiDctMatrix, kaldiFbank, kaldiLifter, kaldiMfcc, KaldiFeatureStream, KaldiFrameProcessor } from '../../src/audio/kaldi.ts';
import { KALDI_FBANK_DEFAULTS, KALDI_MFCC_DEFAULTS, validateKaldiOptions } from '../../src/audio/kaldi-options.ts';
import { Rng } from '../../src/util/rng.ts';

const rng = new Rng(7);
const speechLike = Float32Array.from({ length: 8000 }, (_, i) => 0.3 * Math.sin(i * 0.05) + 0.2 * Math.sin(i * 0.9) + 0.05 * rng.normal() + 0.01);

function maxAbs(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('use-energy: first column is the log energy of the DC-removed raw frame (floored by energy-floor)', () => {
  const f = kaldiFbank(speechLike, { numMelBins: 40, useEnergy: true, energyFloor: 0 });
  assert.equal(f.dims, 41);
  for (const t of [0, 17, f.frames - 1]) {
    const frame = speechLike.subarray(t * 160, t * 160 + 400);
    const mean = frame.reduce((a, b) => a + b, 0) / 400;
    const e = frame.reduce((a, b) => a + (b - mean) ** 2, 0);
    assert.ok(Math.abs(f.data[t * 41] - Math.log(e)) < 1e-4, `frame ${t}`);
  }
  const plain = kaldiFbank(speechLike, { numMelBins: 40 });
  for (let t = 0; t < f.frames; t++) for (let b = 0; b < 40; b++) assert.equal(f.data[t * 41 + 1 + b], plain.data[t * 40 + b]);
  // A floor above every frame's energy replaces the energy by log(floor).
  const floored = kaldiFbank(speechLike, { numMelBins: 40, useEnergy: true, energyFloor: 1e6 });
  assert.ok(Math.abs(floored.data[0] - Math.log(1e6)) < 1e-4);
  const htk = kaldiFbank(speechLike, { numMelBins: 40, useEnergy: true, energyFloor: 0, htkCompat: true });
  assert.equal(htk.data[40], f.data[0], 'htk-compat puts the energy last');
});

test('use-power false / use-log-fbank false: magnitude and linear mel energies, derived for a pure bin tone', () => {
  const lin = kaldiFbank(speechLike, { numMelBins: 30, useLogFbank: false });
  const log = kaldiFbank(speechLike, { numMelBins: 30 });
  for (let i = 0; i < lin.data.length; i++) assert.ok(Math.abs(Math.log(Math.max(lin.data[i], KALDI_EPSILON)) - log.data[i]) < 1e-4);
  // A tone exactly on FFT bin 40 of a 512-sample rectangular frame has |X[40]| = A * 512 / 2 and nothing
  // elsewhere, so each filter's power energy is its magnitude energy times A * 256.
  const A = 0.5;
  const tone = Float32Array.from({ length: 512 }, (_, i) => A * Math.cos((2 * Math.PI * 40 * i) / 512));
  const common = { numMelBins: 30, useLogFbank: false, windowType: 'rectangular' as const, preemphasisCoefficient: 0, frameLength: 32, removeDcOffset: false };
  const pow = kaldiFbank(tone, { ...common, usePower: true });
  const mag = kaldiFbank(tone, { ...common, usePower: false });
  assert.equal(pow.frames, 1);
  let filtersHit = 0;
  for (let b = 0; b < 30; b++) {
    if (mag.data[b] > 1e-3) {
      filtersHit++;
      assert.ok(Math.abs(pow.data[b] / mag.data[b] - A * 256) < 1e-2, `filter ${b}: ${pow.data[b] / mag.data[b]}`);
    } else {
      assert.ok(pow.data[b] < 1e-6);
    }
  }
  assert.ok(filtersHit >= 1 && filtersHit <= 2, 'bin 40 lies in one or two triangles');
});

test('snip-edges false equals snip-edges true on the signal padded as Kaldi reflects it', () => {
  const x = speechLike.subarray(0, 3000);
  const m = Math.floor((x.length + 80) / 160);
  const pad = 200 - 80; // window/2 - shift/2
  const padded = new Float32Array(pad + x.length + 400);
  for (let i = 0; i < pad; i++) padded[i] = x[pad - 1 - i];
  padded.set(x, pad);
  for (let i = 0; i < 400; i++) padded[pad + x.length + i] = x[x.length - 1 - i];
  const viaPadding = kaldiFbank(padded, { numMelBins: 23 });
  const reflected = kaldiFbank(x, { numMelBins: 23, snipEdges: false });
  assert.equal(reflected.frames, m);
  assert.ok(maxAbs(reflected.data, viaPadding.data.subarray(0, m * 23)) === 0);
});

test('frame options: shift, length, window and round-to-power-of-two change the framing as specified', () => {
  const a = kaldiFbank(speechLike, { frameShift: 5, frameLength: 20, numMelBins: 23 });
  assert.equal(a.frames, 1 + Math.floor((8000 - 320) / 80));
  const noPow2 = new KaldiFrameProcessor('fbank', { ...KALDI_FBANK_DEFAULTS, roundToPowerOfTwo: false });
  assert.equal(noPow2.geometry.paddedWindowSize, 400);
  const withPow2 = new KaldiFrameProcessor('fbank', KALDI_FBANK_DEFAULTS);
  assert.equal(withPow2.geometry.paddedWindowSize, 512);
  for (const windowType of ['hamming', 'hanning', 'rectangular', 'blackman'] as const) {
    const f = kaldiFbank(speechLike, { windowType, numMelBins: 23 });
    assert.ok(maxAbs(f.data, kaldiFbank(speechLike, { numMelBins: 23 }).data) > 1e-3, `${windowType} differs from povey`);
  }
  const m = kaldiFbank(speechLike, { numMelBins: 23, minDuration: 1 }); // 0.5 s < 1 s
  assert.equal(m.frames, 0);
});

test('subtract-mean gives zero-mean columns', () => {
  const f = kaldiFbank(speechLike, { numMelBins: 23, subtractMean: true });
  for (let b = 0; b < 23; b++) {
    let s = 0;
    for (let t = 0; t < f.frames; t++) s += f.data[t * 23 + b];
    assert.ok(Math.abs(s / f.frames) < 1e-4);
  }
});

test('MFCC = liftered DCT of the 23-bin log fbank (Kaldi c0 scale sqrt(1/23)); use-energy replaces c0', () => {
  const fb = kaldiFbank(speechLike, { numMelBins: 23 });
  const mf = kaldiMfcc(speechLike);
  const dct = kaldiDctMatrix(13, 23);
  const lift = kaldiLifter(13, 22);
  assert.ok(Math.abs(lift[1] - (1 + 11 * Math.sin(Math.PI / 22))) < 1e-12);
  for (const t of [0, 20, mf.frames - 1]) {
    for (let k = 0; k < 13; k++) {
      let s = 0;
      for (let b = 0; b < 23; b++) s += dct[k * 23 + b] * fb.data[t * 23 + b];
      assert.ok(Math.abs(mf.data[t * 13 + k] - s * lift[k]) < 1e-3, `frame ${t} c${k}`);
    }
    let c0 = 0;
    for (let b = 0; b < 23; b++) c0 += fb.data[t * 23 + b];
    assert.ok(Math.abs(mf.data[t * 13] - c0 / Math.sqrt(23)) < 1e-3);
  }
  const withE = kaldiMfcc(speechLike, { useEnergy: true, energyFloor: 0 });
  const e = kaldiFbank(speechLike, { numMelBins: 23, useEnergy: true, energyFloor: 0 });
  for (let t = 0; t < withE.frames; t++) {
    assert.equal(withE.data[t * 13], e.data[t * 24]);
    for (let k = 1; k < 13; k++) assert.equal(withE.data[t * 13 + k], mf.data[t * 13 + k]);
  }
  const htk = kaldiMfcc(speechLike, { htkCompat: true });
  assert.ok(Math.abs(htk.data[12] - mf.data[0] * Math.SQRT2) < 1e-3, 'htk-compat: c0 last, times sqrt 2');
  assert.equal(htk.data[0], mf.data[1]);
});

test('dither: seeded, reproducible, different per seed, and small', () => {
  const a = kaldiFbank(speechLike, { dither: 1e-3, numMelBins: 23 }, { seed: 5 });
  const b = kaldiFbank(speechLike, { dither: 1e-3, numMelBins: 23 }, { seed: 5 });
  const c = kaldiFbank(speechLike, { dither: 1e-3, numMelBins: 23 }, { seed: 6 });
  const none = kaldiFbank(speechLike, { numMelBins: 23 });
  assert.deepEqual(a.data, b.data);
  assert.ok(maxAbs(a.data, c.data) > 0);
  assert.ok(maxAbs(a.data, none.data) > 0 && maxAbs(a.data, none.data) < 0.5);
});

test('streaming Kaldi features equal the one-shot result for every framing, chunked arbitrarily', () => {
  for (const snipEdges of [true, false]) {
    for (const kind of ['fbank', 'mfcc'] as const) {
      const opts = { ...KALDI_MFCC_DEFAULTS, snipEdges, dither: 0.5 };
      const proc = new KaldiFrameProcessor(kind, opts);
      const whole = new KaldiFeatureStream(proc, { seed: 3 });
      whole.push(speechLike);
      const expected = whole.finish();
      const s = new KaldiFeatureStream(proc, { seed: 3 });
      for (let i = 0; i < speechLike.length; i += 333) s.push(speechLike.subarray(i, i + 333));
      assert.deepEqual(s.finish(), expected, `${kind} snipEdges=${snipEdges}`);
    }
  }
});

test('bad options are rejected with the flag named', () => {
  assert.throws(() => validateKaldiOptions({ ...KALDI_FBANK_DEFAULTS, numMelBins: 2 }), /--num-mel-bins/);
  assert.throws(() => validateKaldiOptions({ ...KALDI_FBANK_DEFAULTS, frameLength: 0.01 }), /--frame-length/);
  assert.throws(() => validateKaldiOptions({ ...KALDI_FBANK_DEFAULTS, highFreq: 9000 }), /--high-freq/);
  assert.throws(() => validateKaldiOptions({ ...KALDI_MFCC_DEFAULTS, numCeps: 30 }), /--num-ceps/);
  assert.throws(() => validateKaldiOptions({ ...KALDI_FBANK_DEFAULTS, preemphasisCoefficient: 2 }), /--preemphasis-coefficient/);
});
