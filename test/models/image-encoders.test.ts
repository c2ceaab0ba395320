import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.ts';
import { buildEncoder, resolveEncoderConfig } from '../../src/models/registry.ts';
import { InputError } from '../../src/util/errors.ts';

function rejects(raw: unknown, pattern: RegExp): void {
  assert.throws(() => resolveEncoderConfig(raw, { file: 'run.yaml', field: 'encoder' }), (e: unknown) => {
    assert.ok(e instanceof InputError, `not an InputError: ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

test('resnet and vit presets resolve with overrides, the build seed fills a missing seed', () => {
  const r = resolveEncoderConfig({ kind: 'resnet', preset: 'digits', groups: 4 }, { seed: 9 });
  assert.deepEqual(r, { kind: 'resnet', inChannels: 1, stemWidth: 16, widths: [32, 64], blocks: [1, 1], strides: [2, 2], groups: 4, pool: 'none', seed: 9 });
  const v = resolveEncoderConfig({ kind: 'vit', preset: 'tiny', seed: 3 }, { seed: 9 });
  assert.equal(v.kind, 'vit');
  if (v.kind !== 'vit') return;
  assert.deepEqual([v.dim, v.depth, v.heads, v.ffnDim, v.imageSize, v.patchSize, v.seed], [192, 12, 3, 768, 32, 4, 3]);
  const d = resolveEncoderConfig({ kind: 'vit', preset: 'digits' });
  assert.equal(d.kind === 'vit' && d.imageSize, 8);
});

test('resnet and vit configs: errors name the file, the field and what was expected', () => {
  rejects({ kind: 'resnet', preset: 'imagenet' }, /^run\.yaml: encoder\.preset: expected one of cifar\|digits, got "imagenet"/);
  rejects({ kind: 'resnet', widths: [32, 64], blocks: [1, 1, 1], strides: [2, 2] }, /encoder\.blocks: needs one entry per stage \(widths has 2\), got 3/);
  rejects({ kind: 'resnet', widths: [32, 0], blocks: [1, 1], strides: [2, 2] }, /encoder\.widths\[1\]: expected a number >= 1, got 0/);
  rejects({ kind: 'resnet', width: 3 }, /encoder\.width: unknown field/);
  rejects({ kind: 'resnet', pool: 'max' }, /encoder\.pool: expected one of none\|mean, got "max"/);
  rejects({ kind: 'vit', patchSize: 5 }, /encoder\.patchSize: must divide imageSize \(32\), got 5/);
  rejects({ kind: 'vit', dim: 130 }, /encoder\.heads: must divide dim \(130\), got 4/);
  rejects({ kind: 'vit', dropout: 1 }, /encoder\.dropout: expected a number < 1, got 1/);
  rejects({ kind: 'vit', seed: -1 }, /encoder\.seed: expected a number >= 0, got -1/);
});

test('buildEncoder: resnet/vit token counts, and the seed decides the weights', async () => {
  await initBackend('cpu');
  const r = buildEncoder({ kind: 'resnet', preset: 'digits' });
  const v = buildEncoder({ kind: 'vit', preset: 'digits', depth: 1 }, { seed: 1 });
  const v2 = buildEncoder({ kind: 'vit', preset: 'digits', depth: 1 }, { seed: 1 });
  const v3 = buildEncoder({ kind: 'vit', preset: 'digits', depth: 1 }, { seed: 2 });
  tf.tidy(() => {
    const x = tf.randomUniform([2, 8, 8, 1]);
    assert.deepEqual(r.forward(x).output.shape, [2, 4, 64]);
    assert.deepEqual(v.forward(x).output.shape, [2, 16, 64]);
  });
  const w = (e: typeof v) => Array.from(e.namedParameters().get('pos_embed')!.dataSync());
  assert.deepEqual(w(v), w(v2));
  assert.notDeepEqual(w(v), w(v3));
  for (const e of [r, v, v2, v3]) e.dispose();
});
