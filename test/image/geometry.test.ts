import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.ts';
import { createImage, imageFromData, pixel, cropImage } from '../../src/image/image.ts';
import { resizeImage, resizeRegion } from '../../src/image/transforms/resize.ts';
import { RandomResizedCrop, sampleCropBox } from '../../src/image/transforms/random-resized-crop.ts';
import { RandomHorizontalFlip, flipHorizontal } from '../../src/image/transforms/flip.ts';
import { rotate90 } from '../../src/image/transforms/rotate.ts';
import { coordinateImage, maxAbsDiff, minMax, randomImage } from './helpers.ts';

const row = (values: number[]) => imageFromData(Float32Array.from(values), 1, values.length, 1);

test('resize: bilinear with half-pixel centres when enlarging (hand-derived values)', () => {
  // [0, 1] -> 4: output centres at 0.25, 0.75, 1.25, 1.75 source pixels.
  assert.deepEqual(Array.from(resizeImage(row([0, 1]), 1, 4).data), [0, 0.25, 0.75, 1]);
  // 2x2 -> 4x4: the inner 2x2 of the output are the bilinear mixes 0.75/0.25 both ways.
  const sq = imageFromData(Float32Array.from([0, 1, 2, 3]), 2, 2, 1);
  const up = resizeImage(sq, 4, 4);
  assert.ok(Math.abs(pixel(up, 1, 1, 0) - (0.75 * 0.75 * 0 + 0.75 * 0.25 * 1 + 0.25 * 0.75 * 2 + 0.25 * 0.25 * 3)) < 1e-6);
  assert.equal(pixel(up, 0, 0, 0), 0);
  assert.equal(pixel(up, 3, 3, 0), 3);
});

test('resize: shrinking widens the triangle filter (antialias), or takes the two nearest without it', () => {
  // 4 -> 2, scale 2: taps at distances 0.5, 0.5, 1.5 from the centre, weights 0.75, 0.75, 0.25 (/1.75).
  const aa = resizeImage(row([0, 4, 8, 12]), 1, 2);
  assert.ok(Math.abs(aa.data[0] - (0.75 * 0 + 0.75 * 4 + 0.25 * 8) / 1.75) < 1e-6);
  assert.ok(Math.abs(aa.data[1] - (0.25 * 4 + 0.75 * 8 + 0.75 * 12) / 1.75) < 1e-6);
  assert.deepEqual(Array.from(resizeImage(row([0, 4, 8, 12]), 1, 2, { antialias: false }).data), [2, 10]);
});

test('resize: same size is the identity, a constant stays constant, a region reads only inside itself', () => {
  const rng = new Rng(3);
  const img = randomImage(9, 7, 3, rng);
  assert.equal(resizeImage(img, 9, 7), img);
  assert.equal(maxAbsDiff(resizeRegion(img, 0, 0, 9, 7, 9, 7).data, img.data), 0);
  const flat = createImage(10, 10, 3);
  flat.data.fill(0.3);
  for (const [h, w] of [[3, 17], [10, 4], [31, 31]]) {
    const [lo, hi] = minMax(resizeImage(flat, h, w).data);
    assert.ok(Math.abs(lo - 0.3) < 1e-6 && Math.abs(hi - 0.3) < 1e-6);
  }
  // A 2x2 region of a 4x4 image, resized to its own size, is that crop exactly; resized up, it never
  // sees the (large) values outside the region.
  const base = imageFromData(Float32Array.from({ length: 16 }, (_, i) => ([5, 6, 9, 10].includes(i) ? i : 100)), 4, 4, 1);
  assert.deepEqual(Array.from(resizeRegion(base, 1, 1, 2, 2, 2, 2).data), [5, 6, 9, 10]);
  const [, hi] = minMax(resizeRegion(base, 1, 1, 2, 2, 5, 5).data);
  assert.ok(hi <= 10);
});

test('random resized crop: boxes inside the image, area and ratio within range, deterministic per seed', () => {
  const rng = new Rng(11);
  let fracSum = 0;
  const n = 4000;
  for (let i = 0; i < n; i++) {
    const b = sampleCropBox(224, 224, [0.08, 1], [3 / 4, 4 / 3], rng);
    assert.ok(b.top >= 0 && b.left >= 0 && b.top + b.height <= 224 && b.left + b.width <= 224);
    const frac = (b.height * b.width) / (224 * 224);
    assert.ok(frac >= 0.075 && frac <= 1, `area fraction ${frac}`);
    const ratio = b.width / b.height;
    assert.ok(ratio > 0.72 && ratio < 1.39, `ratio ${ratio}`);
    fracSum += frac;
  }
  // Accepted draws are uniform in area within [0.08, 1] except big boxes that fail the fit get retried,
  // which pulls the mean somewhat under 0.54.
  const meanFrac = fracSum / n;
  assert.ok(meanFrac > 0.4 && meanFrac < 0.56, `mean area fraction ${meanFrac}`);
  const t = new RandomResizedCrop({ height: 32, width: 32 });
  const img = randomImage(40, 50, 3, new Rng(1));
  const a = t.apply(img, new Rng(5));
  const b = t.apply(img, new Rng(5));
  assert.deepEqual([a.height, a.width, a.channels], [32, 32, 3]);
  assert.equal(maxAbsDiff(a.data, b.data), 0);
  assert.ok(maxAbsDiff(a.data, t.apply(img, new Rng(6)).data) > 0);
  const [lo, hi] = minMax(a.data);
  assert.ok(lo >= 0 && hi <= 1);
});

test('random resized crop: scale 1 and ratio 1 on a square image is the identity; odd ratios fall back to a centred box', () => {
  const img = randomImage(32, 32, 3, new Rng(2));
  const t = new RandomResizedCrop({ height: 32, width: 32, scale: [1, 1], ratio: [1, 1] });
  assert.ok(maxAbsDiff(t.apply(img, new Rng(0)).data, img.data) < 1e-6);
  // A 10x100 strip cannot hold a box of ratio in [1, 1] and 90%+ of its area: the fallback is the
  // largest centred box with ratio 1, 10x10 at column 45.
  const box = sampleCropBox(10, 100, [0.9, 1], [1, 1], new Rng(0));
  assert.deepEqual(box, { top: 0, left: 45, height: 10, width: 10 });
  const strip = coordinateImage(10, 100);
  const out = new RandomResizedCrop({ height: 10, width: 10, scale: [0.9, 1], ratio: [1, 1] }).apply(strip, new Rng(0));
  assert.ok(maxAbsDiff(out.data, cropImage(strip, 0, 45, 10, 10).data) < 1e-6);
  assert.throws(() => new RandomResizedCrop({ height: 32, width: 32, scale: [0.5, 0.1] }), /scale/);
});

test('flip: mirrors columns, twice is the identity, p=0 never and p=1 always flips', () => {
  const img = coordinateImage(5, 7);
  const f = flipHorizontal(img);
  assert.equal(pixel(f, 2, 0, 1), pixel(img, 2, 6, 1));
  assert.equal(pixel(f, 4, 6, 0), pixel(img, 4, 0, 0));
  assert.equal(maxAbsDiff(flipHorizontal(f).data, img.data), 0);
  const rng = new Rng(4);
  assert.equal(new RandomHorizontalFlip(0).apply(img, rng), img);
  assert.equal(maxAbsDiff(new RandomHorizontalFlip(1).apply(img, rng).data, f.data), 0);
  let flipped = 0;
  const half = new RandomHorizontalFlip(0.5);
  for (let i = 0; i < 2000; i++) if (half.apply(img, rng) !== img) flipped++;
  assert.ok(flipped > 900 && flipped < 1100, `${flipped} of 2000 flipped`);
});

test('rotate90: counter-clockwise quarter turns move a corner marker as expected; four turns are the identity', () => {
  // 3x5 image, marker at the top-right corner (0, 4).
  const img = createImage(3, 5, 2);
  img.data[(0 * 5 + 4) * 2] = 1;
  img.data[(0 * 5 + 4) * 2 + 1] = 0.5;
  const where = (k: number) => {
    const r = rotate90(img, k);
    for (let y = 0; y < r.height; y++) for (let x = 0; x < r.width; x++) if (pixel(r, y, x, 0) === 1) return [r.height, r.width, y, x, pixel(r, y, x, 1)];
    return null;
  };
  assert.deepEqual(where(0), [3, 5, 0, 4, 0.5]);
  assert.deepEqual(where(1), [5, 3, 0, 0, 0.5]); // top-right -> top-left
  assert.deepEqual(where(2), [3, 5, 2, 0, 0.5]); // -> bottom-left
  assert.deepEqual(where(3), [5, 3, 4, 2, 0.5]); // -> bottom-right
  const rnd = randomImage(6, 4, 3, new Rng(8));
  let r = rnd;
  for (let k = 0; k < 4; k++) r = rotate90(r, 1);
  assert.equal(maxAbsDiff(r.data, rnd.data), 0);
  assert.equal(maxAbsDiff(rotate90(rotate90(rnd, 1), 3).data, rnd.data), 0);
  assert.equal(maxAbsDiff(rotate90(rnd, -1).data, rotate90(rnd, 3).data), 0);
});
