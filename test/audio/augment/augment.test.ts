import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixedSegment } from '../../../src/audio/augment/segment.ts';
import { resizeCrop, randomResizeCrop, sampleCropBox, BYOLA_CROP_DEFAULTS } from '../../../src/audio/augment/random-resize-crop.ts';
import { MixupMemory, logMixup } from '../../../src/audio/augment/mixup-memory.ts';
import { applyGainDb, gaussianNoise, randomGain, LN10_OVER_10 } from '../../../src/audio/augment/gain-noise.ts';
import { Rng } from '../../../src/util/rng.ts';

const close = (a: number, b: number, tol = 1e-5) => Math.abs(a - b) <= tol;
const ramp = (n: number, scale = 1) => Float32Array.from({ length: n }, (_, i) => i * scale);

test('segment: a longer utterance gives a contiguous window of its frames, seeded; a shorter one is padded with its minimum', () => {
  const bins = 2;
  const utt = ramp(10 * bins); // 10 frames
  const offsets = new Set<number>();
  for (let s = 0; s < 40; s++) {
    const seg = fixedSegment(utt, 10, bins, 4, new Rng(s));
    assert.equal(seg.length, 4 * bins);
    const start = seg[0] / bins;
    assert.ok(Number.isInteger(start) && start >= 0 && start <= 6, `start ${start}`);
    assert.deepEqual(Array.from(seg), Array.from(utt.subarray(start * bins, (start + 4) * bins)));
    offsets.add(start);
  }
  assert.equal(offsets.size, 7, 'every offset 0..6 occurs');
  assert.deepEqual(fixedSegment(utt, 10, bins, 4, new Rng(3)), fixedSegment(utt, 10, bins, 4, new Rng(3)));
  assert.deepEqual(Array.from(fixedSegment(utt, 10, bins, 4, new Rng(3), false)), [0, 1, 2, 3, 4, 5, 6, 7], 'not random: from the start');
  const short = Float32Array.from([3, -1, 2, 5]); // 2 frames
  assert.deepEqual(Array.from(fixedSegment(short, 2, bins, 4, new Rng(1))), [3, -1, 2, 5, -1, -1, -1, -1]);
  // Values past `length` (batch padding) are ignored.
  assert.deepEqual(Array.from(fixedSegment(Float32Array.from([1, 2, 9, 9]), 1, bins, 2, new Rng(1))), [1, 2, 1, 1]);
});

test('random resize crop: the whole segment on a canvas of its size is the identity', () => {
  const x = Float32Array.from({ length: 6 * 4 }, (_, i) => Math.sin(i));
  const box = { canvasFrames: 6, canvasBins: 4, t0: 0, f0: 0, frames: 6, bins: 4 };
  const y = resizeCrop(x, 6, 4, box, -9);
  for (let i = 0; i < x.length; i++) assert.ok(close(y[i], x[i], 1e-6), `${i}: ${y[i]} vs ${x[i]}`);
  const same = randomResizeCrop(x, 6, 4, { virtualScale: [1, 1], timeScale: [1, 1], freqScale: [1, 1] }, new Rng(1));
  for (let i = 0; i < x.length; i++) assert.ok(close(same[i], x[i], 1e-6));
});

test('random resize crop: hand-computed bilinear stretch of two frames to four (half-pixel centres)', () => {
  // One bin, frames [0, 4]: a crop of those 2 frames resized to 4 reads source coords -0.25, 0.25, 0.75, 1.25
  // clamped to [0, 1]: values 0, 1, 3, 4. The segment is 4 frames [0, 4, 8, 12]; the crop starts at frame 0.
  const x = Float32Array.from([0, 4, 8, 12]);
  const y = resizeCrop(x, 4, 1, { canvasFrames: 4, canvasBins: 1, t0: 0, f0: 0, frames: 2, bins: 1 }, 0);
  assert.deepEqual(Array.from(y), [0, 1, 3, 4]);
  // Shrink: all 4 frames of a canvas twice as long (segment centred at cells 2..5, fill -1) to 4 frames:
  // crop cells 0..7, coords 0.5, 2.5, 4.5, 6.5 -> (-1 + -1)/2, (0 + 4)/2, (8 + 12)/2, (-1 + -1)/2.
  const z = resizeCrop(x, 4, 1, { canvasFrames: 8, canvasBins: 1, t0: 0, f0: 0, frames: 8, bins: 1 }, -1);
  assert.deepEqual(Array.from(z), [-1, 2, 10, -1]);
});

test('random resize crop: a constant segment stays constant; boxes lie in the canvas within the scale ranges', () => {
  const c = new Float32Array(20 * 8).fill(2.5);
  const rng = new Rng(4);
  for (let k = 0; k < 20; k++) assert.ok(randomResizeCrop(c, 20, 8, BYOLA_CROP_DEFAULTS, rng).every((v) => close(v, 2.5, 1e-6)));
  const seen = { zoomIn: false, zoomOut: false };
  for (let s = 0; s < 200; s++) {
    const b = sampleCropBox(20, 8, BYOLA_CROP_DEFAULTS, new Rng(s));
    assert.equal(b.canvasFrames, 30);
    assert.equal(b.canvasBins, 8);
    assert.ok(b.frames >= 12 && b.frames <= 30 && b.bins >= 4 && b.bins <= 8, JSON.stringify(b));
    assert.ok(b.t0 >= 0 && b.t0 + b.frames <= b.canvasFrames && b.f0 >= 0 && b.f0 + b.bins <= b.canvasBins, JSON.stringify(b));
    if (b.frames < 20) seen.zoomIn = true;
    if (b.frames > 20) seen.zoomOut = true;
  }
  assert.ok(seen.zoomIn && seen.zoomOut);
  assert.throws(() => sampleCropBox(4, 4, { ...BYOLA_CROP_DEFAULTS, virtualScale: [0.5, 1] }, new Rng(1)), /virtualScale/);
});

test('log mixup: exp, mix, log by hand; bounds; alpha 0 and 1; no overflow', () => {
  // log(0.5 * 2 + 0.5 * 4) = log 3.
  assert.ok(close(logMixup(Float32Array.of(Math.log(2)), Float32Array.of(Math.log(4)), 0.5)[0], Math.log(3)));
  // log(0.75 * e^0 + 0.25 * e^2)
  assert.ok(close(logMixup(Float32Array.of(0), Float32Array.of(2), 0.25)[0], Math.log(0.75 + 0.25 * Math.exp(2))));
  const rng = new Rng(2);
  const x = rng.normalArray(100, 3);
  const z = rng.normalArray(100, 3);
  assert.deepEqual(logMixup(x, z, 0), x);
  const one = logMixup(x, z, 1);
  for (let i = 0; i < 100; i++) assert.ok(close(one[i], z[i], 1e-5));
  const m = logMixup(x, z, 0.3);
  for (let i = 0; i < 100; i++) assert.ok(m[i] >= Math.min(x[i], z[i]) - 1e-5 && m[i] <= Math.max(x[i], z[i]) + 1e-5);
  const big = logMixup(Float32Array.of(1000), Float32Array.of(1000), 0.4);
  assert.ok(close(big[0], 1000, 1e-3), `${big[0]}`);
});

test('mixup memory: FIFO ring of the original segments; empty memory leaves x alone; state restores', () => {
  const mem = new MixupMemory(3, 2);
  const x = Float32Array.of(1, 2);
  assert.deepEqual(mem.mix(x, 0.4, new Rng(1)), x, 'empty memory');
  for (let i = 0; i < 5; i++) mem.push(Float32Array.of(10 * i, 10 * i + 1));
  assert.equal(mem.length, 3);
  // Slots after 5 pushes into 3: [30, 31], [40, 41], [20, 21] (slot 0 overwritten by push 3, slot 1 by push 4).
  assert.deepEqual(Array.from(mem.data), [30, 31, 40, 41, 20, 21]);
  assert.deepEqual(mem.state, { count: 3, next: 2 });
  assert.deepEqual(mem.mix(x, 0, new Rng(1)), x, 'ratio 0');
  // A mix with ratio r uses a = r * u and one stored slot: reproduce it from the same draws.
  const r = new Rng(9);
  const alpha = 0.4 * r.next();
  const slot = r.int(3);
  assert.deepEqual(mem.mix(x, 0.4, new Rng(9)), logMixup(x, mem.slot(slot), alpha));
  const copy = new MixupMemory(3, 2);
  copy.restore(mem.state, mem.data);
  assert.deepEqual(copy.data, mem.data);
  copy.push(Float32Array.of(7, 7));
  mem.push(Float32Array.of(7, 7));
  assert.deepEqual(copy.data, mem.data);
  assert.throws(() => copy.restore({ count: 4, next: 0 }, mem.data), /does not fit/);
  assert.throws(() => mem.push(Float32Array.of(1)), /segment of 1/);
});

test('gain: a gain of g dB adds g ln(10)/10 to every log-power value; random gains stay in range', () => {
  const x = Float32Array.of(0, 1, -2);
  assert.deepEqual(Array.from(applyGainDb(x, 10)).map((v) => +v.toFixed(5)), [Math.log(10), 1 + Math.log(10), -2 + Math.log(10)].map((v) => +v.toFixed(5)));
  assert.ok(close(LN10_OVER_10 * 10, Math.LN10, 1e-12));
  const rng = new Rng(3);
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < 500; i++) {
    const y = randomGain(x, 6, rng);
    const shift = y[0] - x[0];
    assert.ok(close(y[1] - x[1], shift) && close(y[2] - x[2], shift), 'one shift for the whole segment');
    lo = Math.min(lo, shift);
    hi = Math.max(hi, shift);
  }
  const bound = 6 * LN10_OVER_10;
  assert.ok(lo >= -bound && hi <= bound && lo < -0.9 * bound && hi > 0.9 * bound, `${lo} ${hi}`);
});

test('gaussian noise: zero-mean with the given std; std 0 is the identity', () => {
  const x = new Float32Array(20000).fill(1);
  const y = gaussianNoise(x, 0.5, new Rng(5));
  let s = 0, s2 = 0;
  for (const v of y) {
    s += v - 1;
    s2 += (v - 1) ** 2;
  }
  const mean = s / y.length;
  const std = Math.sqrt(s2 / y.length - mean * mean);
  assert.ok(Math.abs(mean) < 0.02 && Math.abs(std - 0.5) < 0.02, `mean ${mean} std ${std}`);
  assert.deepEqual(gaussianNoise(x.subarray(0, 5), 0, new Rng(1)), x.subarray(0, 5));
  assert.deepEqual(gaussianNoise(x, 0.5, new Rng(5)), y, 'seeded');
});
