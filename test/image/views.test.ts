import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.ts';
import { ImageDataset } from '../../src/image/dataset.ts';
import { type Image, createImage, cropImage, pixel } from '../../src/image/image.ts';
import { rotate90 } from '../../src/image/transforms/rotate.ts';
import { MultiViewGenerator } from '../../src/image/views/view-generator.ts';
import { type ViewAugmentOverrides, BYOL_CIFAR_VIEWS, BYOL_VIEWS, byolViews, mergeViewConfig, SIMCLR_CIFAR_VIEW, simclrCifarViews } from '../../src/image/views/presets.ts';
import { RotationSampler } from '../../src/image/views/rotation-sampler.ts';
import { NEIGHBOUR_OFFSETS, RelativePositionSampler } from '../../src/image/views/relative-position-sampler.ts';
import { CpcPatchGridSampler } from '../../src/image/views/cpc-patch-grid-sampler.ts';
import { samplePatchGrid } from '../../src/image/views/patch-grid.ts';
import { coordinateImage, maxAbsDiff, minMax, randomImage } from './helpers.ts';

function datasetOf(images: Image[]): ImageDataset {
  return new ImageDataset(images, new Int32Array(images.length), ['x'], images.map((_, i) => `img${i}`));
}

const rng0 = new Rng(100);
const randomSet = datasetOf(Array.from({ length: 12 }, () => randomImage(32, 32, 3, rng0)));

/** Batch item i of an NHWC batch as an image. */
function item(batch: { data: Float32Array; shape: number[] }, i: number): Image {
  const [, h, w, c] = batch.shape;
  return { data: batch.data.slice(i * h * w * c, (i + 1) * h * w * c), height: h, width: w, channels: c };
}

test('SimCLR CIFAR views: two NHWC batches in index order, deterministic per seed, differing views, source untouched', () => {
  const gen = simclrCifarViews();
  assert.equal(gen.numViews, 2);
  const before = randomSet.images.map((im) => im.data.slice());
  const idx = [3, 0, 7, 7, 11];
  const a = gen.generate(randomSet, idx, new Rng(1));
  const b = gen.generate(randomSet, idx, new Rng(1));
  assert.equal(a.length, 2);
  for (let v = 0; v < 2; v++) {
    assert.deepEqual(a[v].shape, [5, 32, 32, 3]);
    assert.equal(maxAbsDiff(a[v].data, b[v].data), 0);
    for (const x of a[v].data) assert.ok(Number.isFinite(x));
  }
  assert.ok(maxAbsDiff(a[0].data, a[1].data) > 0.1);
  assert.ok(maxAbsDiff(a[0].data, gen.generate(randomSet, idx, new Rng(2))[0].data) > 0.1);
  randomSet.images.forEach((im, i) => assert.equal(maxAbsDiff(im.data, before[i]), 0));
  // Normalised with CIFAR statistics: values leave [0, 1]; without normalisation they stay inside.
  const [lo] = minMax(a[0].data);
  assert.ok(lo < -1);
  const raw = simclrCifarViews({ normalize: null }).generate(randomSet, idx, new Rng(1));
  const [rlo, rhi] = minMax(raw[0].data);
  assert.ok(rlo >= 0 && rhi <= 1);
});

test('view presets: solo-learn settings; a crop size other than 32 gives that size; overrides merge per section', () => {
  assert.deepEqual(SIMCLR_CIFAR_VIEW.colorJitter, { prob: 0.8, brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2 });
  const m = mergeViewConfig(SIMCLR_CIFAR_VIEW, { cropSize: 16, colorJitter: { hue: 0 }, normalize: null });
  assert.equal(m.colorJitter.brightness, 0.8);
  assert.equal(m.colorJitter.hue, 0);
  assert.equal(m.normalize, null);
  const [v] = simclrCifarViews({ cropSize: 16 }).generate(randomSet, [0, 1], new Rng(3));
  assert.deepEqual(v.shape, [2, 16, 16, 3]);
  assert.deepEqual([BYOL_VIEWS[0].blur.prob, BYOL_VIEWS[1].blur.prob, BYOL_VIEWS[0].solarizationProb, BYOL_VIEWS[1].solarizationProb], [1, 0.1, 0, 0.2]);
  assert.deepEqual([BYOL_CIFAR_VIEWS[0].blur.prob, BYOL_CIFAR_VIEWS[1].blur.prob], [0, 0]);
});

test('BYOL views are asymmetric: only the second is ever solarised (about 20%); the first is always blurred', () => {
  // Everything else off, so a flat 0.8 image shows solarisation (-> 0.2) and a checkerboard shows blur
  // (sigma from 1 up, so that every blur is visible; near sigma 0.1 the kernel is a delta).
  const off = { crop: { enabled: false }, colorJitter: { prob: 0 }, grayscaleProb: 0, horizontalFlipProb: 0, blur: { sigma: [1, 2] }, normalize: null } satisfies ViewAugmentOverrides;
  const flat = createImage(32, 32, 3);
  flat.data.fill(0.8);
  const check = createImage(32, 32, 3);
  for (let i = 0; i < check.data.length; i++) check.data[i] = (Math.floor(i / 3) + Math.floor(i / 96)) % 2;
  const n = 300;
  const set = datasetOf([flat, check]);
  const gen = byolViews({ overrides: off });
  const rng = new Rng(5);
  const solarised = [0, 0];
  const blurred = [0, 0];
  for (let t = 0; t < n; t++) {
    const [v1, v2] = gen.generate(set, [0, 1], rng);
    [v1, v2].forEach((v, k) => {
      if (Math.abs(v.data[0] - 0.2) < 1e-6) solarised[k]++;
      // Blur leaves values strictly between 0 and 1 (solarising an unblurred 0/1 board keeps it binary).
      if (item(v, 1).data.some((x) => x > 0.01 && x < 0.99)) blurred[k]++;
    });
  }
  assert.equal(solarised[0], 0);
  assert.ok(solarised[1] > 0.12 * n && solarised[1] < 0.28 * n, `${solarised[1]} of ${n}`);
  assert.equal(blurred[0], n);
  assert.ok(blurred[1] > 0.03 * n && blurred[1] < 0.18 * n, `${blurred[1]} of ${n}`);
});

test('rotation sampler: every image in all four turns with labels 0..3; undoing the turn gives the image back', () => {
  const s = new RotationSampler();
  const { inputs, labels } = s.sample(randomSet, [2, 5], new Rng(0));
  assert.equal(inputs.length, 1);
  assert.deepEqual(inputs[0].shape, [8, 32, 32, 3]);
  assert.deepEqual(Array.from(labels), [0, 1, 2, 3, 0, 1, 2, 3]);
  for (let i = 0; i < 8; i++) {
    const src = randomSet.get(i < 4 ? 2 : 5);
    assert.equal(maxAbsDiff(rotate90(item(inputs[0], i), 4 - labels[i]).data, src.data), 0);
  }
  const one = new RotationSampler({ allRotations: false });
  const counts = [0, 0, 0, 0];
  const rng = new Rng(1);
  for (let t = 0; t < 100; t++) {
    const b = one.sample(randomSet, [0, 1, 2, 3], rng);
    for (let i = 0; i < 4; i++) {
      counts[b.labels[i]]++;
      assert.equal(maxAbsDiff(rotate90(item(b.inputs[0], i), -b.labels[i]).data, randomSet.get(i).data), 0);
    }
  }
  for (const c of counts) assert.ok(c > 70 && c < 130, `label counts ${counts}`);
  assert.throws(() => s.sample(datasetOf([createImage(8, 6, 1)]), [0], new Rng(0)), /square/);
});

test('patch grid: every patch inside the image, jitter within bounds, gaps kept, all placements reachable', () => {
  const cfg = { rows: 3, cols: 3, patchSize: 8, gap: 3, jitter: 1 };
  const rng = new Rng(2);
  const jitters = new Set<number>();
  for (let t = 0; t < 500; t++) {
    const pos = samplePatchGrid(32, 32, cfg, rng);
    assert.equal(pos.length, 9);
    for (const p of pos) assert.ok(p.top >= 0 && p.left >= 0 && p.top + 8 <= 32 && p.left + 8 <= 32);
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 3; c++) {
        const p = pos[r * 3 + c];
        if (c < 2) assert.ok(pos[r * 3 + c + 1].left - (p.left + 8) >= 1, 'horizontal neighbours never touch');
        if (r < 2) assert.ok(pos[(r + 1) * 3 + c].top - (p.top + 8) >= 1, 'vertical neighbours never touch');
        jitters.add(p.top - pos[0].top - r * 11);
      }
    }
  }
  assert.deepEqual([...jitters].sort((a, b) => a - b), [-2, -1, 0, 1, 2]);
  assert.throws(() => samplePatchGrid(30, 32, cfg, rng), /needs 32x32 pixels, the image is 30x32/);
  assert.throws(() => new RelativePositionSampler({ gap: 2, jitter: 1 }), /gap \(2\) must exceed twice the jitter/);
});

test('relative position: the neighbour sits where its label says, relative to the centre, for every label', () => {
  const coords = datasetOf([coordinateImage(32, 32), coordinateImage(32, 32)]);
  const s = new RelativePositionSampler();
  assert.equal(s.numClasses, 8);
  const seen = new Array(8).fill(0);
  const rng = new Rng(3);
  for (let t = 0; t < 100; t++) {
    const { inputs, labels } = s.sample(coords, [0, 1], rng);
    assert.deepEqual(inputs[0].shape, [2, 8, 8, 3]);
    for (let i = 0; i < 2; i++) {
      const at = (im: Image) => [Math.round(pixel(im, 0, 0, 0) * 31), Math.round(pixel(im, 0, 0, 1) * 31)];
      const [cy, cx] = at(item(inputs[0], i));
      const [ny, nx] = at(item(inputs[1], i));
      const [dr, dc] = NEIGHBOUR_OFFSETS[labels[i]];
      // One grid step is 11 px (patch 8 + gap 3); jitter moves each patch by at most 1 px.
      assert.ok(Math.abs(ny - cy - 11 * dr) <= 2 && Math.abs(nx - cx - 11 * dc) <= 2, `label ${labels[i]}: centre (${cy},${cx}) neighbour (${ny},${nx})`);
      assert.ok(cy >= 9 && cy <= 15 && cx >= 9 && cx <= 15, 'the centre patch is the middle of the grid');
      seen[labels[i]]++;
    }
  }
  for (const n of seen) assert.ok(n > 10, `label counts ${seen}`);
  const again = s.sample(coords, [0, 1], new Rng(9));
  assert.deepEqual(again, s.sample(coords, [0, 1], new Rng(9)));
});

test('CPC patch grid: [N, rows, cols, P, P, C]; with no jitter each patch is the crop at its grid place', () => {
  const s = new CpcPatchGridSampler();
  const b = s.sample(randomSet, [4, 9], new Rng(0));
  assert.deepEqual(b.shape, [2, 7, 7, 8, 8, 3]);
  const per = 8 * 8 * 3;
  for (const [i, src] of [[0, 4], [1, 9]]) {
    for (const [r, c] of [[0, 0], [3, 5], [6, 6]]) {
      const off = ((i * 7 + r) * 7 + c) * per;
      const expect = cropImage(randomSet.get(src), 4 * r, 4 * c, 8, 8).data;
      assert.equal(maxAbsDiff(b.data.subarray(off, off + per), expect), 0);
    }
  }
  const jit = new CpcPatchGridSampler({ rows: 3, cols: 3, gap: 2, jitter: 2 });
  const j = jit.sample(randomSet, [0], new Rng(4));
  assert.deepEqual(j.shape, [1, 3, 3, 8, 8, 3]);
  assert.deepEqual(j, jit.sample(randomSet, [0], new Rng(4)));
});

test('a generic MultiViewGenerator packs views of mixed pipelines and rejects mismatched shapes clearly', () => {
  const gen = new MultiViewGenerator([
    { name: 'id', apply: (im) => im },
    { name: 'rot', apply: (im) => rotate90(im, 1) },
  ]);
  const [v1, v2] = gen.generate(randomSet, [1], new Rng(0));
  assert.equal(maxAbsDiff(v1.data, randomSet.get(1).data), 0);
  assert.equal(maxAbsDiff(v2.data, rotate90(randomSet.get(1), 1).data), 0);
  const mixed = datasetOf([createImage(4, 4, 3), createImage(5, 4, 3)]);
  assert.throws(() => gen.generate(mixed, [0, 1], new Rng(0)), /view of image 1: image is 5x4x3 but the batch is 4x4x3/);
});
