import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kaldiMelBanks, vtlnWarpFreq } from '../../src/audio/mel.ts';
import { createFeaturizer } from '../../src/features/featurizer.ts';
import { kaldiFbank } from '../../src/audio/kaldi.ts';
import { speedPerturb } from '../../src/audio/augment/speed-perturb.ts';

test('vtlnWarpFreq: f / alpha in the band, ends fixed, continuous at the band edges (Kaldi VtlnWarpFreq)', () => {
  const [lo, hi, low, high] = [100, 3500, 20, 4000];
  for (const a of [0.9, 1.1]) {
    const l = lo * Math.max(1, a), h = hi * Math.min(1, a);
    assert.ok(Math.abs(vtlnWarpFreq(lo, hi, low, high, a, 1000) - 1000 / a) < 1e-9);
    assert.ok(Math.abs(vtlnWarpFreq(lo, hi, low, high, a, low) - low) < 1e-9);
    assert.ok(Math.abs(vtlnWarpFreq(lo, hi, low, high, a, high) - high) < 1e-9);
    for (const edge of [l, h]) {
      const below = vtlnWarpFreq(lo, hi, low, high, a, edge - 1e-7), above = vtlnWarpFreq(lo, hi, low, high, a, edge + 1e-7);
      assert.ok(Math.abs(below - above) < 1e-5 && Math.abs(above - edge / a) < 1e-5, `edge ${edge}: ${below} ${above}`);
    }
    assert.equal(vtlnWarpFreq(lo, hi, low, high, a, 4100), 4100);
  }
  // Hand values for alpha 1.1 (l = 110, h = 3500): 2200 -> 2000; 3750 lies on the line (3500, 3181.8)-(4000, 4000).
  assert.ok(Math.abs(vtlnWarpFreq(lo, hi, low, high, 1.1, 2200) - 2000) < 1e-9);
  assert.ok(Math.abs(vtlnWarpFreq(lo, hi, low, high, 1.1, 3750) - (4000 + ((4000 - 3500 / 1.1) / 500) * -250)) < 1e-9);
});

/** Frequency (Hz) of the FFT bin where each triangle peaks. */
function peaks(w: Float64Array, numBins: number, numFreqs: number, binHz: number): number[] {
  return Array.from({ length: numBins }, (_, b) => {
    let best = 0;
    for (let k = 1; k < numFreqs; k++) if (w[b * numFreqs + k] > w[b * numFreqs + best]) best = k;
    return best * binHz;
  });
}

test('warped mel banks: factor 1 is the plain bank; factor 1.1 moves mid-band triangles from c to c / 1.1 (each bin then reads what a 1.1x higher voice puts at c)', () => {
  const N = 1024, sr = 8000, bins = 40;
  const plain = kaldiMelBanks(bins, N, sr, 20, 0);
  assert.deepEqual(Array.from(kaldiMelBanks(bins, N, sr, 20, 0, { factor: 1, low: 100, high: -500 }).weights), Array.from(plain.weights));
  const warped = kaldiMelBanks(bins, N, sr, 20, 0, { factor: 1.1, low: 100, high: -500 });
  const p0 = peaks(plain.weights, bins, plain.numFreqs, sr / N), p1 = peaks(warped.weights, bins, warped.numFreqs, sr / N);
  // The triangle whose unwarped centre is c now peaks at c / 1.1 (within an FFT bin).
  let checked = 0;
  for (let b = 0; b < bins; b++) {
    if (p0[b] < 500 || p0[b] > 3400) continue;
    assert.ok(Math.abs(p1[b] - p0[b] / 1.1) <= sr / N + 1e-9, `bin ${b}: ${p0[b]} -> ${p1[b]}`);
    checked++;
  }
  assert.ok(checked > 15, `${checked} bins checked`);
  assert.throws(() => kaldiMelBanks(bins, N, sr, 20, 0, { factor: 1.1, low: 100, high: 4100 }), /bad VTLN settings/);
});

test('featurizer options: --vtln-warp reaches the fbank; --speed perturbs the waveform first (shorter, recorded in the config)', async () => {
  const sr = 8000;
  const x = Float32Array.from({ length: sr }, (_, i) => Math.sin((2 * Math.PI * 700 * i) / sr) + 0.3 * Math.sin((2 * Math.PI * 1900 * i) / sr));
  const plain = await createFeaturizer('fbank', { sampleFrequency: sr, numMelBins: 40 });
  assert.equal(plain.config.vtlnWarp, undefined, 'an unwarped features.json is unchanged');
  assert.equal(plain.config.speed, undefined);
  const warped = await createFeaturizer('fbank', { sampleFrequency: sr, numMelBins: 40, vtlnWarp: 0.9 });
  assert.equal(warped.config.vtlnWarp, 0.9);
  const a = await plain.compute(x), b = await warped.compute(x);
  assert.equal(a.frames, b.frames);
  const ref = kaldiFbank(x, { sampleFrequency: sr, numMelBins: 40, vtlnWarp: 0.9 });
  assert.deepEqual(Array.from(b.data), Array.from(ref.data));
  assert.notDeepEqual(Array.from(a.data), Array.from(b.data));
  const fast = await createFeaturizer('fbank', { sampleFrequency: sr, numMelBins: 40, speed: 1.1 });
  assert.equal(fast.config.speed, 1.1);
  const c = await fast.compute(x);
  const direct = kaldiFbank(speedPerturb(x, sr, 1.1), { sampleFrequency: sr, numMelBins: 40 });
  assert.equal(c.frames, direct.frames);
  assert.ok(c.frames < a.frames * 0.93, `${c.frames} frames at speed 1.1 against ${a.frames}`);
  assert.deepEqual(Array.from(c.data), Array.from(direct.data));
  await assert.rejects(createFeaturizer('fbank', { speed: 0 }), /--speed: must be a positive number/);
});
