import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageFromData } from '../../src/image/image.ts';
import { PATCH_NORM_EPS, PatchAssigner, patchFeatures } from '../../src/methods/patch-tokenizer.ts';
import { maskedPatchCount, patchMask } from '../../src/methods/patch-masking.ts';
import { buildImageViews, readImageViewsConfig, resolveView } from '../../src/methods/image-view-config.ts';
import { SIMCLR_CIFAR_VIEW } from '../../src/image/views/presets.ts';
import { Fields } from '../../src/util/fields.ts';
import { Rng } from '../../src/util/rng.ts';

test('patch features: row-major patches of row, column, channel values; per-patch standardisation', () => {
  // 4x4, one channel, value = 4 * y + x.
  const img = imageFromData(Float32Array.from({ length: 16 }, (_, i) => i), 4, 4, 1);
  const raw = patchFeatures([img], { patchSize: 2, patchNorm: false });
  assert.deepEqual(Array.from(raw), [0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15]);
  const rgb = imageFromData(Float32Array.from({ length: 2 * 2 * 3 }, (_, i) => i), 2, 2, 3);
  assert.deepEqual(Array.from(patchFeatures([rgb], { patchSize: 2, patchNorm: false })), Array.from({ length: 12 }, (_, i) => i));
  const normed = patchFeatures([img], { patchSize: 2, patchNorm: true });
  // Patch 0 is [0, 1, 4, 5]: mean 2.5, variance 4.25.
  const sd = Math.sqrt(4.25 + PATCH_NORM_EPS);
  [0, 1, 4, 5].forEach((v, i) => assert.ok(Math.abs(normed[i] - (v - 2.5) / sd) < 1e-6));
  assert.throws(() => patchFeatures([imageFromData(new Float32Array(9), 3, 3, 1)], { patchSize: 2, patchNorm: false }), /not a whole number of 2x2 patches/);
});

test('patch assigner: the nearest centroid, the first on ties', () => {
  const a = new PatchAssigner(2);
  const labels = a.assign(Float32Array.from([0, 0, 1, 1, 5, 5, 0.5, 0.5]), Float32Array.from([0, 0, 1, 1, 4, 4]));
  assert.deepEqual(Array.from(labels), [0, 1, 2, 0]);
});

test('patch masks: exactly round(ratio * T) per image, random or as blocks; seeded', () => {
  assert.equal(maskedPatchCount(64, 0.4), 26);
  assert.equal(maskedPatchCount(16, 0.01), 1);
  for (const shape of ['random', 'block'] as const) {
    const m = patchMask(5, 8, 8, 0.4, shape, new Rng(3));
    for (let b = 0; b < 5; b++) assert.equal(m.subarray(b * 64, b * 64 + 64).reduce((x, y) => x + y, 0), 26, `${shape} image ${b}`);
    assert.deepEqual(Array.from(patchMask(5, 8, 8, 0.4, shape, new Rng(3))), Array.from(m));
    assert.notDeepEqual(Array.from(patchMask(5, 8, 8, 0.4, shape, new Rng(4))), Array.from(m));
  }
  // Blocks are contiguous: a block mask has far fewer masked/unmasked horizontal neighbours than a random one.
  const edges = (m: Float32Array) => {
    let e = 0;
    for (let b = 0; b < 20; b++) for (let y = 0; y < 8; y++) for (let x = 0; x < 7; x++) e += Math.abs(m[b * 64 + y * 8 + x] - m[b * 64 + y * 8 + x + 1]);
    return e;
  };
  assert.ok(edges(patchMask(20, 8, 8, 0.4, 'block', new Rng(1))) < 0.7 * edges(patchMask(20, 8, 8, 0.4, 'random', new Rng(1))));
  assert.equal(patchMask(1, 1, 5, 1, 'block', new Rng(1)).reduce((x, y) => x + y, 0), 5);
});

test('views config: overrides reach the pipeline, the crop defaults to the data side, no normalisation', () => {
  const c = readImageViewsConfig(new Fields({ preset: 'simclr-cifar', cropMinScale: 0.3, jitterStrength: 0.5, blurProb: 0 }, 'views'), 'digits');
  const v = resolveView(SIMCLR_CIFAR_VIEW, c, 16);
  assert.equal(v.cropSize, 16);
  assert.deepEqual([v.crop.minScale, v.crop.maxScale], [0.3, 1]);
  assert.deepEqual([v.colorJitter.brightness, v.colorJitter.hue, v.colorJitter.prob], [0.4, 0.1, 0.8]);
  assert.equal(v.blur.prob, 0);
  assert.equal(v.normalize, null);
  const gen = buildImageViews(c, 16);
  assert.equal(gen.numViews, 2);
  assert.ok(!gen.pipelines[0].name.includes('Normalize') && !gen.pipelines[0].name.includes('Blur'), gen.pipelines[0].name);
  assert.throws(() => readImageViewsConfig(new Fields({ cropMinScale: 0.9, cropMaxScale: 0.5 }, 'views'), 'digits'), /views\.cropMinScale: must not exceed cropMaxScale/);
  assert.throws(() => readImageViewsConfig(new Fields({ flipprob: 0.5 }, 'views'), 'digits'), /views\.flipprob: unknown field/);
});
