import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { computeSpanMask, lengthsFromPaddingMask, maskedCounts, spanMaskTensor } from '../../src/methods/masking.ts';
import { Rng } from '../../src/util/rng.ts';

/**
 * Exact expected masked fraction of one utterance of `sz` frames under fairseq's static, overlapping
 * span masking, derived independently of the implementation:
 *   n spans (n = floor(p*sz/L) or that + 1, with probability equal to the fractional part),
 *   starts: n distinct of N = sz - L positions, uniformly; frame t is covered unless none of the
 *   m_t starts in [t-L+1, t] ∩ [0, N-1] is chosen: P(uncovered) = C(N - m_t, n) / C(N, n).
 */
function expectedCoverage(sz: number, p: number, L: number): number {
  const x = (p * sz) / L;
  const lo = Math.floor(x);
  const frac = x - lo;
  const forCount = (n: number): number => {
    const N = sz - L;
    let covered = 0;
    for (let t = 0; t < sz; t++) {
      const m = Math.max(0, Math.min(t, N - 1) - Math.max(0, t - L + 1) + 1);
      let pUncovered = 1;
      for (let i = 0; i < n; i++) pUncovered *= Math.max(0, N - m - i) / (N - i);
      covered += 1 - pUncovered;
    }
    return covered / sz;
  };
  return (1 - frac) * forCount(lo) + (frac > 0 ? frac * forCount(lo + 1) : 0);
}

function meanCoverage(sz: number, p: number, L: number, draws: number, seed: number): number {
  const rng = new Rng(seed);
  let total = 0;
  for (let i = 0; i < draws; i++) {
    const m = computeSpanMask(1, sz, { maskProb: p, maskLength: L, minMasks: 0 }, rng);
    total += maskedCounts(m)[0] / sz;
  }
  return total / draws;
}

test('span mask: coverage matches the derived expectation (0.8/10 about 0.566, 0.65/10 about 0.49)', () => {
  // The closed-form approximation the docs quote, 1 - (1 - p/L)^L, against the exact finite-size value.
  const exact08 = expectedCoverage(1000, 0.8, 10);
  const exact065 = expectedCoverage(1000, 0.65, 10);
  assert.ok(Math.abs(exact08 - (1 - Math.pow(1 - 0.08, 10))) < 0.01, `exact ${exact08}`);
  assert.ok(Math.abs(exact065 - (1 - Math.pow(1 - 0.065, 10))) < 0.01, `exact ${exact065}`);
  // Standard error of a 400-draw mean is about 0.0008 here; 0.004 is five of them.
  const m08 = meanCoverage(1000, 0.8, 10, 400, 1);
  const m065 = meanCoverage(1000, 0.65, 10, 400, 2);
  assert.ok(Math.abs(m08 - exact08) < 0.004, `0.8/10: measured ${m08}, expected ${exact08}`);
  assert.ok(Math.abs(m065 - exact065) < 0.004, `0.65/10: measured ${m065}, expected ${exact065}`);
  // Probabilistic rounding: 0.8 * 137 / 10 = 10.96 spans -> 10 or 11 with weights 0.04 / 0.96.
  const exact137 = expectedCoverage(137, 0.8, 10);
  const m137 = meanCoverage(137, 0.8, 10, 3000, 3);
  assert.ok(Math.abs(m137 - exact137) < 0.004, `137 frames: measured ${m137}, expected ${exact137}`);
  assert.ok(Math.abs(exact137 - expectedCoverage(137, 0.8 * 10 / 10.96, 10)) > 0.004, 'the test distinguishes rounding down from probabilistic rounding');
});

test('span mask: runs are whole spans, the last frame is never masked, min_masks honoured', () => {
  const rng = new Rng(5);
  for (let i = 0; i < 50; i++) {
    const m = computeSpanMask(1, 200, { maskProb: 0.3, maskLength: 7, minMasks: 0, requireSameMasks: false }, rng);
    let run = 0;
    for (let t = 0; t <= 200; t++) {
      if (t < 200 && m.data[t]) run++;
      else {
        if (run > 0) assert.ok(run >= 7, `a run of ${run} < span length`);
        run = 0;
      }
    }
    assert.equal(m.data[199], 0, 'fairseq never masks the last frame');
  }
  // 15 frames at 0.8/10: 1.2 spans rounds to 1 or 2; min_masks 2 forces two spans -> at least 10 frames.
  for (let i = 0; i < 20; i++) {
    const m = computeSpanMask(1, 15, { maskProb: 0.8, maskLength: 10, minMasks: 2 }, rng);
    assert.ok(maskedCounts(m)[0] >= 10);
  }
  // An utterance shorter than a span still gets masked frames, inside its length.
  const short = computeSpanMask(1, 4, { maskProb: 0.8, maskLength: 10, minMasks: 2 }, rng);
  assert.ok(maskedCounts(short)[0] >= 1);
});

test('span mask: padding respected, same counts across the batch, deterministic for a seed', () => {
  const lengths = [120, 70, 31, 0];
  const cfg = { maskProb: 0.65, maskLength: 10 };
  const a = computeSpanMask(4, 120, cfg, new Rng(9), lengths);
  const b = computeSpanMask(4, 120, cfg, new Rng(9), lengths);
  assert.deepEqual(a.data, b.data);
  for (let u = 0; u < 4; u++) for (let t = lengths[u]; t < 120; t++) assert.equal(a.data[u * 120 + t], 0, `padding frame ${t} of utterance ${u} masked`);
  // The empty utterance forces the batch minimum to 0 under requireSameMasks.
  assert.deepEqual(Array.from(maskedCounts(a)), [0, 0, 0, 0]);
  const c = computeSpanMask(3, 120, cfg, new Rng(11), lengths.slice(0, 3));
  assert.deepEqual(c.data, computeSpanMask(3, 120, cfg, new Rng(11), lengths.slice(0, 3)).data);
  assert.notDeepEqual(c.data, computeSpanMask(3, 120, cfg, new Rng(12), lengths.slice(0, 3)).data);
  for (let u = 0; u < 3; u++) for (let t = lengths[u]; t < 120; t++) assert.equal(c.data[u * 120 + t], 0, `padding frame ${t} of utterance ${u} masked`);
  const counts = Array.from(maskedCounts(c));
  assert.ok(counts[0] > 0 && counts.every((v) => v === counts[0]), `counts ${counts}`);
  const d = computeSpanMask(3, 120, { ...cfg, requireSameMasks: false }, new Rng(11), lengths.slice(0, 3));
  const free = Array.from(maskedCounts(d));
  assert.ok(free[0] > free[2], `longer utterances get more masked frames without equalisation: ${free}`);
  // mask dropout removes round(count * 0.5) frames from each.
  const e = computeSpanMask(1, 500, { ...cfg, requireSameMasks: false, maskDropout: 0.5 }, new Rng(12));
  const full = computeSpanMask(1, 500, { ...cfg, requireSameMasks: false }, new Rng(12));
  assert.equal(maskedCounts(e)[0], maskedCounts(full)[0] - Math.round(maskedCounts(full)[0] * 0.5));
});

test('span mask: helpers and config errors', () => {
  const pad = [0, 0, 0, 1, 1, 0, 0, 0, 0, 0];
  assert.deepEqual(Array.from(lengthsFromPaddingMask(pad, 2, 5)), [3, 5]);
  const m = computeSpanMask(2, 30, { maskProb: 0.5, maskLength: 5 }, new Rng(1));
  const t = spanMaskTensor(m);
  assert.deepEqual(t.shape, [2, 30]);
  assert.deepEqual(Array.from(t.dataSync()), Array.from(m.data));
  t.dispose();
  assert.throws(() => computeSpanMask(1, 10, { maskProb: 1.5 }, new Rng(1)), /maskProb/);
  assert.throws(() => computeSpanMask(1, 10, { maskLength: 0 }, new Rng(1)), /maskLength/);
  assert.throws(() => computeSpanMask(2, 10, {}, new Rng(1), [10]), /1 lengths for a batch of 2/);
  assert.throws(() => computeSpanMask(1, 10, {}, new Rng(1), [11]), /length 11 of utterance 0/);
});
