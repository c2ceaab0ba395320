import { test } from 'node:test';
import assert from 'node:assert/strict';
import { speedPerturb, speedPerturbedLength, KALDI_SPEED_FACTORS } from '../../../src/audio/augment/speed-perturb.ts';

function tone(hz: number, rate: number, n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * hz * i) / rate));
}

/** Frequency of the strongest DFT bin of the middle of `x` (a plain DFT over a Hann window, 0.25 Hz steps). */
function peakHz(x: Float32Array, rate: number, lo: number, hi: number): number {
  const a = Math.floor(x.length / 4), n = Math.floor(x.length / 2);
  let best = 0, bestHz = 0;
  for (let f = lo; f <= hi; f += 0.25) {
    let re = 0, im = 0;
    for (let i = 0; i < n; i++) {
      const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
      re += w * x[a + i] * Math.cos((2 * Math.PI * f * i) / rate);
      im -= w * x[a + i] * Math.sin((2 * Math.PI * f * i) / rate);
    }
    const p = re * re + im * im;
    if (p > best) {
      best = p;
      bestHz = f;
    }
  }
  return bestHz;
}

test('speed perturbation 1.1: 1/1.1 of the length, a 440 Hz tone becomes 484 Hz', () => {
  const rate = 8000, n = 8000;
  const x = tone(440, rate, n);
  const y = speedPerturb(x, rate, 1.1);
  assert.equal(y.length, Math.ceil(n / 1.1));
  assert.equal(y.length, speedPerturbedLength(n, rate, 1.1));
  assert.equal(peakHz(x, rate, 400, 520), 440);
  assert.ok(Math.abs(peakHz(y, rate, 400, 520) - 484) <= 0.5, `peak ${peakHz(y, rate, 400, 520)}`);
  // The amplitude is kept (a tone far below Nyquist passes the resampler's low-pass).
  const mid = y.subarray(1000, 6000);
  assert.ok(Math.abs(Math.max(...mid) - 1) < 0.02);
});

test('speed perturbation 0.9: longer by 1/0.9, 1000 Hz becomes 900 Hz; 1.0 is the identity; bad factors are refused', () => {
  const rate = 16000, n = 9000;
  const x = tone(1000, rate, n);
  const y = speedPerturb(x, rate, 0.9);
  assert.equal(y.length, Math.ceil(n / 0.9));
  assert.ok(Math.abs(peakHz(y, rate, 850, 1050) - 900) <= 0.5);
  assert.deepEqual(KALDI_SPEED_FACTORS, [0.9, 1.0, 1.1]);
  assert.deepEqual(Array.from(speedPerturb(x, rate, 1)), Array.from(x));
  assert.throws(() => speedPerturb(x, rate, 0), /factor must be a positive number/);
});
