import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.ts';
import { buildEncoder, resolveEncoderConfig } from '../../src/models/registry.ts';
import { InputError } from '../../src/util/errors.ts';

function rejects(raw: unknown, pattern: RegExp, opts = {}): void {
  assert.throws(() => resolveEncoderConfig(raw, opts), (e: unknown) => {
    assert.ok(e instanceof InputError, `not an InputError: ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

test('encoder configs: presets merge with overrides; defaults fill the rest', () => {
  const c = resolveEncoderConfig({ kind: 'audio-transformer', preset: 'small', layers: 3 });
  assert.equal(c.kind, 'audio-transformer');
  if (c.kind !== 'audio-transformer') return;
  assert.deepEqual([c.dim, c.layers, c.heads, c.frontend], [512, 3, 8, 'logmel']);
  const cpc = resolveEncoderConfig({ kind: 'cpc', rnn: 'lstm' });
  assert.equal(cpc.kind === 'cpc' && cpc.rnn, 'lstm');
});

test('encoder configs: errors name the file, the field and what was expected', () => {
  rejects([], /expected an object, got a list/);
  rejects({}, /kind: expected one of audio-transformer\|cpc\|resnet\|vit, got nothing/);
  rejects({ kind: 'convnext' }, /kind: expected one of/);
  rejects({ kind: 'audio-transformer', dimm: 3 }, /dimm: unknown field/);
  rejects({ kind: 'audio-transformer', dim: 0 }, /dim: expected a number >= 1, got 0/);
  rejects({ kind: 'audio-transformer', dim: '256' }, /dim: expected a finite number, got "256"/);
  rejects({ kind: 'audio-transformer', dim: 10, heads: 4 }, /heads: must divide dim \(10\), got 4/);
  rejects({ kind: 'audio-transformer', dropout: 1.5 }, /dropout: expected a number < 1, got 1.5/);
  rejects({ kind: 'audio-transformer', preset: 'huge' }, /preset: expected one of tiny\|small\|base, got "huge"/);
  rejects({ kind: 'audio-transformer', convLayers: [{ channels: 8, kernel: 3 }] }, /convLayers\[0\]\.stride: expected an integer >= 1, got nothing/);
  rejects({ kind: 'audio-transformer', posConv: { kernelSize: 4, groups: 3 } }, /posConv\.groups: must divide dim \(256\)/);
  rejects({ kind: 'cpc', rnn: 'rnn' }, /rnn: expected one of gru\|lstm, got "rnn"/);
  rejects({ kind: 'cpc', layers: 2.5 }, /^cfg\.yaml: model\.encoder\.layers: expected an integer/, { file: 'cfg.yaml', field: 'model.encoder' });
});

test('buildEncoder: the same seed gives the same weights, another seed different ones', async () => {
  await initBackend('cpu');
  const cfg = { kind: 'audio-transformer', inputDim: 4, dim: 8, layers: 1, heads: 2, ffnDim: 8, convLayers: [{ channels: 8, kernel: 3, stride: 2, padding: 1 }], posConv: { kernelSize: 4, groups: 2 } };
  const a = buildEncoder(cfg, { seed: 7 });
  const b = buildEncoder(cfg, { seed: 7 });
  const c = buildEncoder(cfg, { seed: 8 });
  for (const [name, v] of a.namedParameters()) {
    assert.deepEqual(Array.from(v.dataSync()), Array.from(b.namedParameters().get(name)!.dataSync()), name);
  }
  const w = (e: typeof a) => Array.from(e.namedParameters().get('encoder.layers.0.fc1.weight')!.dataSync());
  assert.notDeepEqual(w(a), w(c));
  tf.dispose([a, b, c].flatMap((e) => [...e.namedParameters().values()]));
});
