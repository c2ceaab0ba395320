/** FFTs, windows, mel scales, deltas, CMVN, framing and the streaming resampler, against hand-derived values. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ComplexFft, PowerOfTwoFft, RealFft } from '../../src/audio/fft.ts';
import { blackmanWindow, centerPadWindow, hammingWindow, hannWindow, kaldiWindow, poveyWindow } from '../../src/audio/window.ts';
import { hzToMel, kaldiMel, kaldiMelBanks, melToHz, melscaleFbanks } from '../../src/audio/mel.ts';
import { appendDeltas, computeDeltas } from '../../src/audio/deltas.ts';
import { utteranceCmvn } from '../../src/audio/cmvn.ts';
import { Resampler, resample, resampledLength, sincResampleKernel } from '../../src/audio/resample.ts';
import { StreamingFramer, kaldiFraming, stftFraming } from '../../src/audio/framing.ts';
import { Rng } from '../../src/util/rng.ts';

function naiveDft(xr: number[], xi: number[]): [number[], number[]] {
  const n = xr.length;
  const re: number[] = [];
  const im: number[] = [];
  for (let k = 0; k < n; k++) {
    let sr = 0;
    let si = 0;
    for (let t = 0; t < n; t++) {
      const a = (-2 * Math.PI * k * t) / n;
      sr += xr[t] * Math.cos(a) - xi[t] * Math.sin(a);
      si += xr[t] * Math.sin(a) + xi[t] * Math.cos(a);
    }
    re.push(sr);
    im.push(si);
  }
  return [re, im];
}

test('RealFft matches a direct DFT for power-of-two and mixed-radix sizes', () => {
  const rng = new Rng(3);
  for (const n of [4, 8, 16, 32, 128, 256, 512, 400, 6, 12, 30, 98]) {
    const x = Array.from({ length: n }, () => rng.normal());
    const [dr, di] = naiveDft(x, new Array(n).fill(0));
    const fft = new RealFft(n);
    const re = new Float64Array(fft.bins);
    const im = new Float64Array(fft.bins);
    fft.forward(x, re, im);
    const pow = new Float64Array(fft.bins);
    fft.powerSpectrum(x, pow);
    for (let k = 0; k < fft.bins; k++) {
      assert.ok(Math.abs(re[k] - dr[k]) < 1e-9 * n && Math.abs(im[k] - di[k]) < 1e-9 * n, `n=${n} bin ${k}`);
      assert.ok(Math.abs(pow[k] - (dr[k] ** 2 + di[k] ** 2)) < 1e-8 * n * n, `n=${n} power bin ${k}`);
    }
  }
});

test('complex FFTs (radix-4 and mixed radix) match a direct DFT', () => {
  const rng = new Rng(5);
  for (const n of [1, 2, 4, 8, 32, 64, 256]) {
    const xr = Array.from({ length: n }, () => rng.normal());
    const xi = Array.from({ length: n }, () => rng.normal());
    const [dr, di] = naiveDft(xr, xi);
    const f = new PowerOfTwoFft(n);
    const re = new Float64Array(n);
    const im = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      re[i] = xr[f.perm[i]];
      im[i] = xi[f.perm[i]];
    }
    f.transformPermuted(re, im);
    for (let k = 0; k < n; k++) assert.ok(Math.abs(re[k] - dr[k]) < 1e-9 * n && Math.abs(im[k] - di[k]) < 1e-9 * n, `pow2 n=${n} bin ${k}`);
  }
  for (const n of [3, 5, 7, 9, 15, 200, 49]) {
    const xr = Array.from({ length: n }, () => rng.normal());
    const xi = Array.from({ length: n }, () => rng.normal());
    const [dr, di] = naiveDft(xr, xi);
    const re = new Float64Array(n);
    const im = new Float64Array(n);
    new ComplexFft(n).transform(xr, xi, re, im);
    for (let k = 0; k < n; k++) assert.ok(Math.abs(re[k] - dr[k]) < 1e-9 * n && Math.abs(im[k] - di[k]) < 1e-9 * n, `mixed n=${n} bin ${k}`);
  }
});

test('window functions take their defining values', () => {
  const hs = hannWindow(5, false);
  assert.deepEqual(Array.from(hs, (v) => +v.toFixed(12)), [0, 0.5, 1, 0.5, 0]);
  const hp = hannWindow(4, true); // periodic: first 4 of a symmetric 5
  assert.deepEqual(Array.from(hp, (v) => +v.toFixed(12)), [0, 0.5, 1, 0.5]);
  const hm = hammingWindow(5, false);
  assert.ok(Math.abs(hm[0] - 0.08) < 1e-12 && Math.abs(hm[2] - 1) < 1e-12);
  const pv = poveyWindow(5);
  assert.ok(Math.abs(pv[1] - Math.pow(0.5, 0.85)) < 1e-12);
  const bl = blackmanWindow(5, 0.42);
  assert.ok(Math.abs(bl[0]) < 1e-12 && Math.abs(bl[2] - 1) < 1e-12, 'Blackman 0.42: 0 at the ends, 1 in the middle');
  assert.deepEqual(Array.from(kaldiWindow('rectangular', 3)), [1, 1, 1]);
  assert.deepEqual(Array.from(centerPadWindow(Float64Array.from([1, 1]), 6)), [0, 0, 1, 1, 0, 0]);
});

test('mel scales: HTK, Slaney and Kaldi reference points, and round trips', () => {
  assert.ok(Math.abs(hzToMel(1000, 'htk') - 2595 * Math.log10(1 + 1000 / 700)) < 1e-9);
  assert.ok(Math.abs(hzToMel(700, 'htk') - 2595 * Math.log10(2)) < 1e-9);
  assert.ok(Math.abs(hzToMel(500, 'slaney') - 7.5) < 1e-12); // linear below 1 kHz: 500 / (200/3)
  assert.ok(Math.abs(hzToMel(1000, 'slaney') - 15) < 1e-12);
  assert.ok(Math.abs(hzToMel(6400, 'slaney') - 42) < 1e-9); // 15 + 27 steps of log(6.4)/27
  assert.ok(Math.abs(kaldiMel(700) - 1127 * Math.log(2)) < 1e-9);
  for (const f of [0, 100, 999, 1000, 4321, 8000]) {
    for (const s of ['htk', 'slaney'] as const) assert.ok(Math.abs(melToHz(hzToMel(f, s), s) - f) < 1e-6);
  }
});

test('Kaldi mel banks: triangles peaking at 1 on their mel centres, zero Nyquist column', () => {
  const fb = kaldiMelBanks(23, 512, 16000, 20, 0);
  assert.equal(fb.numFreqs, 257);
  for (let b = 0; b < 23; b++) {
    let peak = 0;
    for (let k = 0; k < 257; k++) peak = Math.max(peak, fb.weights[b * 257 + k]);
    assert.ok(peak > 0.5 && peak <= 1, `bin ${b} peak ${peak}`);
    assert.equal(fb.weights[b * 257 + 256], 0);
  }
  assert.throws(() => kaldiMelBanks(3, 512, 16000, 20, 0), /more than 3/);
  assert.throws(() => kaldiMelBanks(23, 512, 16000, 9000, 0), /bad mel range/);
});

test('torchaudio mel filterbank: slaney norm scales each triangle by 2 / its width', () => {
  const plain = melscaleFbanks(201, 0, 8000, 40, 16000, null, 'slaney');
  const normed = melscaleFbanks(201, 0, 8000, 40, 16000, 'slaney', 'slaney');
  const pts = Array.from({ length: 42 }, (_, i) => melToHz((hzToMel(8000, 'slaney') * i) / 41, 'slaney'));
  for (const m of [0, 10, 39]) {
    const k = 40 + m; // some bin inside most triangles
    for (let f = 0; f < 201; f++) {
      const a = plain.weights[m * 201 + f];
      const b = normed.weights[m * 201 + f];
      if (a > 0) assert.ok(Math.abs(b / a - 2 / (pts[m + 2] - pts[m])) < 1e-9, `filter ${m} bin ${f} (${k})`);
    }
  }
});

test('compute_deltas: hand-computed on a short sequence with replicated edges', () => {
  // One column x = [0, 1, 4, 9, 16]; n = 2, denominator 10.
  const m = { data: Float32Array.from([0, 1, 4, 9, 16]), frames: 5, dims: 1 };
  const d = computeDeltas(m, 5);
  // t=0: 1*(x1-x0) + 2*(x2-x0) = 1 + 8 = 9 -> 0.9     t=1: (x2-x0) + 2*(x3-x0) = 4 + 18 = 22 -> 2.2
  // t=2: (x3-x1) + 2*(x4-x0) = 8 + 32 = 40 -> 4        t=3: (x4-x2) + 2*(x4-x1) = 12 + 30 = 42 -> 4.2
  // t=4: (x4-x3) + 2*(x4-x2) = 7 + 24 = 31 -> 3.1
  assert.deepEqual(Array.from(d.data, (v) => +v.toFixed(6)), [0.9, 2.2, 4, 4.2, 3.1]);
  const three = appendDeltas({ data: Float32Array.from([1, 2, 3, 4, 5, 6]), frames: 3, dims: 2 });
  assert.equal(three.dims, 6);
  assert.deepEqual(Array.from(three.data.subarray(0, 2)), [1, 2]);
});

test('utterance CMVN gives zero-mean, unit-variance columns; a constant column stays finite', () => {
  const rng = new Rng(1);
  const data = new Float32Array(200 * 3);
  for (let t = 0; t < 200; t++) {
    data[t * 3] = 5 + 2 * rng.normal();
    data[t * 3 + 1] = -3 + 0.1 * rng.normal();
    data[t * 3 + 2] = 7;
  }
  const m = utteranceCmvn({ data, frames: 200, dims: 3 }, 'meanvar');
  for (let d = 0; d < 2; d++) {
    let s = 0;
    let s2 = 0;
    for (let t = 0; t < 200; t++) {
      s += m.data[t * 3 + d];
      s2 += m.data[t * 3 + d] ** 2;
    }
    assert.ok(Math.abs(s / 200) < 1e-5 && Math.abs(s2 / 200 - 1) < 1e-4, `column ${d}`);
  }
  for (let t = 0; t < 200; t++) assert.equal(m.data[t * 3 + 2], 0);
});

test('resampler: torchaudio geometry, identity at equal rates, and a band-limited tone survives', () => {
  const k = sincResampleKernel(8000, 16000);
  assert.deepEqual([k.orig, k.target, k.width, k.taps], [1, 2, 7, 15]);
  const k2 = sincResampleKernel(44100, 16000);
  assert.deepEqual([k2.orig, k2.target, k2.width], [441, 160, 17]);
  assert.equal(resampledLength(30869, 44100, 16000), Math.ceil((160 * 30869) / 441));
  const x = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i / 7));
  assert.deepEqual(resample(x, 16000, 16000), x);
  // A 500 Hz tone at 48 kHz, resampled to 16 kHz, is the same tone sampled at 16 kHz (away from the edges).
  const tone48 = Float32Array.from({ length: 48000 }, (_, i) => Math.sin((2 * Math.PI * 500 * i) / 48000));
  const y = resample(tone48, 48000, 16000);
  assert.equal(y.length, 16000);
  for (let i = 200; i < 15800; i++) assert.ok(Math.abs(y[i] - Math.sin((2 * Math.PI * 500 * i) / 16000)) < 2e-3, `sample ${i}`);
});

test('streaming resampler equals one-shot resampling for any chunking', () => {
  const rng = new Rng(11);
  const x = Float32Array.from({ length: 20011 }, () => rng.normal() * 0.3);
  for (const [from, to] of [[8000, 16000], [44100, 16000], [22050, 16000], [48000, 16000], [16000, 8000]]) {
    const whole = resample(x, from, to);
    const r = new Resampler(from, to);
    const parts: Float32Array[] = [];
    for (let i = 0; i < x.length; ) {
      const n = 1 + rng.int(3000);
      parts.push(r.push(x.subarray(i, i + n)));
      i += n;
    }
    parts.push(r.finish());
    const joined = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      joined.set(p, o);
      o += p.length;
    }
    assert.deepEqual(joined, whole, `${from} -> ${to}`);
  }
});

function framesOf(framer: StreamingFramer, x: Float32Array, chunks: number[]): number[][] {
  const out: number[][] = [];
  const frame = new Float64Array(framer.spec.frameLength);
  let i = 0;
  for (const n of chunks) {
    framer.push(x.subarray(i, i + n));
    i += n;
    while (framer.next(frame)) out.push(Array.from(frame));
  }
  framer.end();
  while (framer.next(frame)) out.push(Array.from(frame));
  return out;
}

test('framing: Kaldi reflected edges and torch reflect padding, by hand, whatever the chunking', () => {
  const x = Float32Array.from({ length: 10 }, (_, i) => i + 1); // 1..10
  // Kaldi snip-edges=false, length 4, shift 2: pad = 2 - 1 = 1, frames = (10 + 1) / 2 = 5.
  const kaldi = framesOf(new StreamingFramer(kaldiFraming(4, 2, false)), x, [10]);
  assert.deepEqual(kaldi, [
    [1, 1, 2, 3],
    [2, 3, 4, 5],
    [4, 5, 6, 7],
    [6, 7, 8, 9],
    [8, 9, 10, 10],
  ]);
  // torch center=True, n_fft 4, hop 3: pad 2 each side by reflection without the edge; frames 1 + 10/3 = 4.
  const torch = framesOf(new StreamingFramer(stftFraming(4, 3, true)), x, [10]);
  assert.deepEqual(torch, [
    [3, 2, 1, 2],
    [2, 3, 4, 5],
    [5, 6, 7, 8],
    [8, 9, 10, 9],
  ]);
  const snip = framesOf(new StreamingFramer(kaldiFraming(4, 3, true)), x, [10]);
  assert.deepEqual(snip, [
    [1, 2, 3, 4],
    [4, 5, 6, 7],
    [7, 8, 9, 10],
  ]);
  for (const spec of [kaldiFraming(400, 160, false), stftFraming(400, 160, true), kaldiFraming(400, 160, true)]) {
    const y = Float32Array.from({ length: 5003 }, (_, i) => Math.sin(i * 0.37));
    const whole = framesOf(new StreamingFramer(spec), y, [y.length]);
    const chunked = framesOf(new StreamingFramer(spec), y, [1, 2, 250, 999, 7, 3744]);
    assert.equal(whole.length, spec.frameCount(y.length));
    assert.deepEqual(chunked, whole);
  }
});
