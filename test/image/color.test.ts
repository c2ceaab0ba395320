import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.ts';
import { createImage, imageFromData, pixel } from '../../src/image/image.ts';
import { adjustBrightness, adjustContrast, adjustHue, adjustSaturation, toGrayscale } from '../../src/image/transforms/color-adjust.ts';
import { ColorJitter } from '../../src/image/transforms/color-jitter.ts';
import { RandomGrayscale } from '../../src/image/transforms/grayscale.ts';
import { GaussianBlur, gaussianBlur, gaussianKernel, reflectIndex } from '../../src/image/transforms/blur.ts';
import { GaussianNoise } from '../../src/image/transforms/noise.ts';
import { RandomSolarize, solarize } from '../../src/image/transforms/solarize.ts';
import { Normalize } from '../../src/image/transforms/normalize.ts';
import { Compose, RandomApply, RandomOrder } from '../../src/image/transforms/transform.ts';
import { maxAbsDiff, minMax, randomImage } from './helpers.ts';

const rgb = (...px: number[][]) => imageFromData(Float32Array.from(px.flat()), 1, px.length, 3);

test('brightness, contrast, saturation: blends with black / mean grey / own grey, clamped (hand values)', () => {
  const img = rgb([0.2, 0.4, 0.6], [1, 0.5, 0]);
  assert.deepEqual(Array.from(adjustBrightness(img, 0.5).data).map((v) => +v.toFixed(6)), [0.1, 0.2, 0.3, 0.5, 0.25, 0]);
  assert.deepEqual(Array.from(adjustBrightness(img, 2).data).map((v) => +v.toFixed(6)), [0.4, 0.8, 1, 1, 1, 0]);
  const g0 = 0.2989 * 0.2 + 0.587 * 0.4 + 0.114 * 0.6;
  const g1 = 0.2989 * 1 + 0.587 * 0.5;
  const mean = (g0 + g1) / 2;
  const c = adjustContrast(img, 0.5);
  assert.ok(Math.abs(pixel(c, 0, 0, 0) - (0.5 * 0.2 + 0.5 * mean)) < 1e-6);
  assert.ok(Math.abs(pixel(c, 0, 1, 2) - 0.5 * mean) < 1e-6);
  const flat = adjustContrast(img, 0);
  for (const v of flat.data) assert.ok(Math.abs(v - mean) < 1e-6);
  const s = adjustSaturation(img, 0);
  for (let ch = 0; ch < 3; ch++) {
    assert.ok(Math.abs(pixel(s, 0, 0, ch) - g0) < 1e-6);
    assert.ok(Math.abs(pixel(s, 0, 1, ch) - g1) < 1e-6);
  }
  const s2 = adjustSaturation(img, 2);
  assert.ok(Math.abs(pixel(s2, 0, 0, 2) - Math.min(1, 2 * 0.6 - g0)) < 1e-6);
  for (const f of [adjustBrightness, adjustContrast, adjustSaturation]) assert.equal(f(img, 1), img);
});

test('hue: shift 0 is the identity; a third of a turn sends red to green; hue shifts keep value and saturation', () => {
  const img = randomImage(6, 6, 3, new Rng(1));
  assert.equal(adjustHue(img, 0), img);
  // A vanishing shift still runs RGB -> HSV -> RGB, which must give the image back.
  assert.ok(maxAbsDiff(adjustHue(img, 1e-12).data, img.data) < 1e-6);
  // Through HSV and back with a full turn (0.5 then -0.5 ... or +0.5 twice) returns the image.
  assert.ok(maxAbsDiff(adjustHue(adjustHue(img, 0.5), 0.5).data, img.data) < 1e-5);
  assert.ok(maxAbsDiff(adjustHue(adjustHue(img, 0.2), -0.2).data, img.data) < 1e-5);
  const red = rgb([1, 0, 0], [0.8, 0.2, 0.2]);
  assert.ok(maxAbsDiff(adjustHue(red, 1 / 3).data, Float32Array.from([0, 1, 0, 0.2, 0.8, 0.2])) < 1e-5);
  assert.ok(maxAbsDiff(adjustHue(red, 0.5).data, Float32Array.from([0, 1, 1, 0.2, 0.8, 0.8])) < 1e-5);
  const shifted = adjustHue(img, 0.137);
  for (let i = 0; i < img.data.length; i += 3) {
    const a = img.data.subarray(i, i + 3);
    const b = shifted.data.subarray(i, i + 3);
    assert.ok(Math.abs(Math.max(...a) - Math.max(...b)) < 1e-5, 'value kept');
    assert.ok(Math.abs(Math.max(...a) - Math.min(...a) - (Math.max(...b) - Math.min(...b))) < 1e-5, 'chroma kept');
  }
  assert.throws(() => adjustHue(img, 0.6), /hue shift/);
});

test('colour jitter: zero strength is the identity, output in [0, 1], deterministic per seed, draws in range', () => {
  const img = randomImage(8, 8, 3, new Rng(2));
  const none = new ColorJitter();
  assert.equal(none.apply(img, new Rng(0)), img);
  const j = new ColorJitter({ brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2 });
  const a = j.apply(img, new Rng(9));
  assert.equal(maxAbsDiff(a.data, j.apply(img, new Rng(9)).data), 0);
  assert.ok(maxAbsDiff(a.data, img.data) > 0.01);
  const rng = new Rng(3);
  const orders = new Set<string>();
  for (let i = 0; i < 500; i++) {
    const p = j.sampleParams(rng);
    assert.ok(p.brightness >= 0.2 && p.brightness <= 1.8 && p.contrast >= 0.2 && p.contrast <= 1.8);
    assert.ok(p.saturation >= 0.2 && p.saturation <= 1.8 && Math.abs(p.hue) <= 0.2);
    orders.add(p.order.join(''));
    const [lo, hi] = minMax(j.applyParams(img, p).data);
    assert.ok(lo >= 0 && hi <= 1);
  }
  assert.equal(orders.size, 24);
  const fixed = new ColorJitter({ brightness: 0.5, randomOrder: false });
  assert.deepEqual(fixed.sampleParams(new Rng(1)).order, [0, 1, 2, 3]);
  // The order matters: brightness after contrast differs from before it, and applyParams follows it.
  const p = { brightness: 1.5, contrast: 0.3, saturation: 1, hue: 0 };
  const bc = j.applyParams(img, { ...p, order: [0, 1, 2, 3] });
  const cb = j.applyParams(img, { ...p, order: [1, 0, 2, 3] });
  assert.ok(maxAbsDiff(bc.data, adjustContrast(adjustBrightness(img, 1.5), 0.3).data) < 1e-6);
  assert.ok(maxAbsDiff(cb.data, adjustBrightness(adjustContrast(img, 0.3), 1.5).data) < 1e-6);
  assert.ok(maxAbsDiff(bc.data, cb.data) > 1e-3);
});

test('grayscale: luma weights, all channels equal; RandomGrayscale p=1 always, p=0 never', () => {
  const img = rgb([1, 0, 0], [0, 1, 0], [0, 0, 1]);
  const g = toGrayscale(img);
  assert.deepEqual(Array.from(g.data).map((v) => +v.toFixed(4)), [0.2989, 0.2989, 0.2989, 0.587, 0.587, 0.587, 0.114, 0.114, 0.114]);
  const rnd = randomImage(5, 5, 3, new Rng(4));
  const out = new RandomGrayscale(1).apply(rnd, new Rng(0));
  for (let i = 0; i < out.data.length; i += 3) assert.ok(out.data[i] === out.data[i + 1] && out.data[i + 1] === out.data[i + 2]);
  assert.equal(new RandomGrayscale(0).apply(rnd, new Rng(0)), rnd);
  assert.equal(toGrayscale(rnd, 1).channels, 1);
});

test('gaussian blur: kernel is the normalised gaussian, an impulse spreads as its outer product, constants stay', () => {
  const k = gaussianKernel(1.5, 4);
  assert.ok(Math.abs(k.reduce((s, v) => s + v, 0) - 1) < 1e-6);
  assert.ok(Math.abs(k[5] / k[4] - Math.exp(-1 / (2 * 1.5 * 1.5))) < 1e-6);
  assert.deepEqual([-1, -2, 0, 4, 5, 6, 9].map((i) => reflectIndex(i, 5)), [1, 2, 0, 4, 3, 2, 1]);
  const imp = createImage(21, 21, 1);
  imp.data[10 * 21 + 10] = 1;
  const b = gaussianBlur(imp, 1.5, 4);
  assert.ok(Math.abs(pixel(b, 10, 10, 0) - k[4] * k[4]) < 1e-7);
  assert.ok(Math.abs(pixel(b, 8, 13, 0) - k[2] * k[7]) < 1e-7);
  assert.equal(pixel(b, 10, 15, 0), 0);
  assert.ok(Math.abs(b.data.reduce((s, v) => s + v, 0) - 1) < 1e-5);
  const flat = createImage(6, 9, 3);
  flat.data.fill(0.42);
  const [lo, hi] = minMax(new GaussianBlur().apply(flat, new Rng(1)).data);
  assert.ok(Math.abs(lo - 0.42) < 1e-6 && Math.abs(hi - 0.42) < 1e-6);
  const rnd = randomImage(16, 16, 3, new Rng(5));
  const t = new GaussianBlur({ sigma: [0.5, 2] });
  assert.equal(maxAbsDiff(t.apply(rnd, new Rng(7)).data, t.apply(rnd, new Rng(7)).data), 0);
  // Blur lowers the variance of noise.
  const v = (a: Float32Array) => { const m = a.reduce((s, x) => s + x, 0) / a.length; return a.reduce((s, x) => s + (x - m) ** 2, 0) / a.length; };
  assert.ok(v(t.apply(rnd, new Rng(7)).data) < 0.5 * v(rnd.data));
  assert.throws(() => new GaussianBlur({ kernelSize: 4 }), /odd/);
});

test('gaussian noise: std 0 is the identity, the added noise has the asked std, clamped output stays in [0, 1]', () => {
  const img = createImage(64, 64, 3);
  img.data.fill(0.5);
  assert.equal(new GaussianNoise({ std: 0 }).apply(img, new Rng(0)), img);
  const noisy = new GaussianNoise({ std: 0.1, clamp: false }).apply(img, new Rng(1));
  let s = 0, s2 = 0;
  for (const x of noisy.data) { s += x - 0.5; s2 += (x - 0.5) ** 2; }
  const n = noisy.data.length;
  assert.ok(Math.abs(s / n) < 0.005 && Math.abs(Math.sqrt(s2 / n) - 0.1) < 0.005);
  const [lo, hi] = minMax(new GaussianNoise({ std: 1 }).apply(img, new Rng(2)).data);
  assert.ok(lo === 0 && hi === 1);
});

test('solarize: values at or above the threshold invert, the rest stay', () => {
  const img = imageFromData(Float32Array.from([0, 0.3, 0.5, 0.7, 1]), 1, 5, 1);
  assert.deepEqual(Array.from(solarize(img).data).map((v) => +v.toFixed(6)), [0, 0.3, 0.5, 0.3, 0]);
  assert.deepEqual(Array.from(solarize(img, 0.8).data).map((v) => +v.toFixed(6)), [0, 0.3, 0.5, 0.7, 0]);
  assert.equal(new RandomSolarize(0).apply(img, new Rng(0)), img);
});

test('normalize, compose, random apply, random order: hand values, determinism, no input mutation', () => {
  const img = rgb([0.5, 0.5, 0.5]);
  const n = new Normalize({ mean: [0.5, 0.25, 0], std: [0.5, 0.25, 2] }).apply(img);
  assert.deepEqual(Array.from(n.data), [0, 1, 0.25]);
  assert.throws(() => new Normalize({ mean: [0], std: [1] }).apply(img), /1 channels, the image has 3/);
  const src = randomImage(12, 12, 3, new Rng(6));
  const before = src.data.slice();
  const pipeline = new Compose([
    new RandomApply(new ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 }), 0.8),
    new RandomOrder([new RandomGrayscale(0.5), new GaussianBlur(), new RandomSolarize(0.5)]),
    new GaussianNoise({ std: 0.02 }),
  ]);
  const a = pipeline.apply(src, new Rng(10));
  assert.equal(maxAbsDiff(a.data, pipeline.apply(src, new Rng(10)).data), 0);
  assert.equal(maxAbsDiff(src.data, before), 0);
  let applied = 0;
  const half = new RandomApply(new GaussianNoise({ std: 0.1 }), 0.3);
  const rng = new Rng(12);
  for (let i = 0; i < 2000; i++) if (half.apply(src, rng) !== src) applied++;
  assert.ok(applied > 520 && applied < 680, `${applied} of 2000`);
  assert.throws(() => new RandomApply(half, 1.5), /probability/);
});
