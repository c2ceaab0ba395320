/**
 * Issue #15, item 1: a header rate the resampler was not built for costs time linear in the samples (the
 * per-output path for pairs whose reduced table would be huge), and rates no recorder makes are refused,
 * naming the file and the rate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeAudio, probeAudio } from '../../src/audio/decode.ts';
import { featurizeFile } from '../../src/features/extract/featurize-file.ts';
import { createFeaturizer } from '../../src/features/featurizer.ts';
import { MAX_TABLE_WEIGHTS, Resampler, resample, resampledLength, tableSize } from '../../src/audio/resample.ts';
import { Rng } from '../../src/util/rng.ts';
import { ODD_RATES, REFUSED_RATES, wavAtRate } from './corpus.ts';

test('odd rates: the reduced table would pass the bound, so the per-output path runs, in bounded memory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'odd-rates-'));
  const fbank = await createFeaturizer('fbank', {});
  for (const rate of ODD_RATES) {
    const { phases, taps } = tableSize(rate, 16000);
    assert.ok(phases * taps > 100 * MAX_TABLE_WEIGHTS, `${rate} Hz: a table of ${phases} x ${taps} weights would be built`);
    const file = join(dir, `r${rate}.wav`);
    writeFileSync(file, wavAtRate(rate));
    const rssBefore = process.memoryUsage().rss;
    const { matrix, info, seconds } = await featurizeFile(file, fbank, 'k');
    const grew = (process.memoryUsage().rss - rssBefore) / 1e6;
    assert.equal(info.sampleRate, rate);
    assert.ok(Math.abs(seconds - 1) < 1e-9);
    // 1 s at 16 kHz after resampling: 98 frames of 25 ms every 10 ms.
    assert.equal(matrix.frames, 98);
    assert.ok(grew < 200, `${rate} Hz: memory grew by ${grew.toFixed(0)} MB`);
  }
});

test('the per-output path agrees with the torchaudio table to float32 rounding, for any chunking', () => {
  const rng = new Rng(3);
  const x = Float32Array.from({ length: 6007 }, () => rng.uniform(-1, 1));
  for (const [from, to, method] of [[44100, 16000, 'sinc_interp_hann'], [22050, 16000, 'sinc_interp_hann'], [8000, 16000, 'sinc_interp_hann'], [16000, 8000, 'sinc_interp_kaiser'], [48000, 16000, 'sinc_interp_kaiser']] as const) {
    const table = resample(x, from, to, { kernel: 'table', method });
    const direct = resample(x, from, to, { kernel: 'direct', method });
    assert.equal(direct.length, resampledLength(x.length, from, to));
    assert.equal(direct.length, table.length);
    let worst = 0;
    for (let i = 0; i < table.length; i++) worst = Math.max(worst, Math.abs(table[i] - direct[i]));
    assert.ok(worst < 1e-4, `${from} -> ${to} ${method}: max abs diff ${worst}`);
    const r = new Resampler(from, to, { kernel: 'direct', method });
    const parts: number[] = [];
    for (let i = 0; i < x.length; i += 613) parts.push(...r.push(x.subarray(i, i + 613)));
    parts.push(...r.finish());
    assert.deepEqual(Float32Array.from(parts), direct, `${from} -> ${to}: chunked equals one-shot`);
  }
});

test('an odd-rate tone comes out as the same tone at 16 kHz (tabulated phases, and weights computed per use)', () => {
  // 44,101 Hz: 16,000 phases of 37 weights are kept; 767,999 Hz: 16,000 x 585 passes MAX_PHASE_WEIGHTS.
  for (const [rate, seconds] of [[44101, 1], [767999, 0.25]] as const) {
    const f = 440;
    const x = Float32Array.from({ length: Math.round(rate * seconds) }, (_, i) => Math.sin((2 * Math.PI * f * i) / rate));
    const y = resample(x, rate, 16000);
    assert.equal(y.length, resampledLength(x.length, rate, 16000));
    let worst = 0;
    for (let i = 200; i < y.length - 200; i++) worst = Math.max(worst, Math.abs(y[i] - Math.sin((2 * Math.PI * f * i) / 16000)));
    assert.ok(worst < 2e-3, `${rate} Hz: max deviation ${worst}`);
  }
});

test('header rates outside 1 kHz..768 kHz are refused by every reader, naming the file and the rate', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bad-rates-'));
  for (const rate of REFUSED_RATES) {
    const file = join(dir, `r${rate}.wav`);
    writeFileSync(file, wavAtRate(rate, 16000));
    const why = new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: header declares a sample rate of ${rate} Hz, outside the supported 1000\\.\\.768000 Hz`);
    assert.throws(() => probeAudio(file), why);
    await assert.rejects(decodeAudio(file), why);
  }
});
