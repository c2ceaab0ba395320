import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.ts';
import { buildEncoder } from '../../src/models/registry.ts';
import type { CpcEncoder } from '../../src/models/cpc.ts';
import { Rng } from '../../src/util/rng.ts';
import { gradCheck } from '../nn/gradcheck.ts';

test('cpc (default): waveform stack of stride 160 (100 Hz at 16 kHz), GRU context 256, PyTorch RNN names', async () => {
  await initBackend('wasm');
  const enc = buildEncoder({ kind: 'cpc' }, { seed: 1 }) as CpcEncoder;
  assert.equal(enc.outputLength(16000), 100);
  assert.equal(enc.outputLength(3200), 20);
  assert.equal(enc.featureDim, 512);
  assert.equal(enc.outputDim, 256);
  const names = [...enc.namedParameters().keys()];
  assert.ok(names.includes('feature_extractor.conv_layers.4.0.weight'));
  assert.ok(names.includes('context.weight_hh_l0'));
  assert.deepEqual(enc.namedParameters().get('context.weight_ih_l0')!.shape, [512, 3 * 256]);
  const out = enc.forward(tf.randomNormal([2, 3200], 0, 1, 'float32', 1));
  assert.deepEqual(out.features.shape, [2, 20, 512]);
  assert.deepEqual(out.output.shape, [2, 20, 256]);
  assert.equal(out.hidden.length, 2);
  tf.dispose([out.features, out.output]);
  enc.dispose();
});

for (const backend of ['cpu', 'wasm'] as const) {
  test(`cpc (${backend}, log-mel + LSTM x2): causal context, frame masking, maxLayer, gradients`, async () => {
    await initBackend(backend);
    const rng = new Rng(51);
    const enc = buildEncoder(
      { kind: 'cpc', frontend: 'logmel', inputDim: 5, convLayers: [{ channels: 6, kernel: 3, stride: 2, padding: 1 }], dim: 4, layers: 2, rnn: 'lstm' },
      { seed: 2 },
    ) as CpcEncoder;
    const xv = rng.normalArray(2 * 10 * 5);
    const x = tf.tensor3d(xv, [2, 10, 5]);
    const out = enc.forward(x);
    assert.deepEqual(out.output.shape, [2, 5, 4]);
    assert.equal(out.hidden.length, 3);
    // Causality: changing the last input frames changes nothing before the last output frame.
    const changed = Float32Array.from(xv);
    for (let i = 8 * 5; i < 10 * 5; i++) changed[i] += 3;
    const out2 = enc.forward(tf.tensor3d(changed, [2, 10, 5]));
    const a = out.output.arraySync() as number[][][];
    const b = out2.output.arraySync() as number[][][];
    for (let t = 0; t < 4; t++) for (let j = 0; j < 4; j++) assert.ok(Math.abs(a[0][t][j] - b[0][t][j]) < 1e-6);
    assert.ok(Math.abs(a[0][4][0] - b[0][4][0]) > 1e-6);
    const early = enc.forward(x, { maxLayer: 1 });
    assert.equal(early.hidden.length, 2);
    assert.ok(tf.max(tf.abs(tf.sub(early.output, out.hidden[1]))).dataSync()[0] < 1e-6);
    const frameMask = tf.tensor2d([[0, 1, 0, 0, 0], [0, 0, 0, 0, 1]]);
    const masked = enc.forward(x, { frameMask });
    const z = masked.hidden[0].arraySync() as number[][][];
    const emb = Array.from(enc.maskEmbedding.dataSync());
    for (let c = 0; c < 6; c++) assert.ok(Math.abs(z[0][1][c] - emb[c]) < 1e-6);
    const v = tf.variable(x);
    const params = [...enc.namedParameters()].filter(([n]) => /mask_emb|conv_layers.0.0.weight|weight_hh_l1|bias_ih_l0/.test(n));
    gradCheck(`cpc ${backend}`, new Map([['x', v], ...params]), () => enc.forward(v, { frameMask }).output, { directions: 2, elements: 1 });
    tf.dispose([x, v, frameMask]);
    enc.dispose();
  });
}
