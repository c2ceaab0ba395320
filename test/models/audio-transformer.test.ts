import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.ts';
import { buildEncoder } from '../../src/models/registry.ts';
import { AUDIO_TRANSFORMER_PRESETS } from '../../src/models/audio-transformer-config.ts';
import type { AudioTransformerEncoder } from '../../src/models/audio-transformer.ts';
import { Rng } from '../../src/util/rng.ts';
import { gradCheck } from '../nn/gradcheck.ts';

/** A small log-mel encoder with every part present: subsampler, feature norm, pos conv, 2 blocks. */
const SMALL = {
  kind: 'audio-transformer', frontend: 'logmel', inputDim: 6, dim: 8, layers: 2, heads: 2, ffnDim: 12,
  convLayers: [{ channels: 8, kernel: 3, stride: 2, padding: 1 }], posConv: { kernelSize: 4, groups: 2, weightNorm: true },
  dropout: 0, attentionDropout: 0, inputDropout: 0,
};

function randn(rng: Rng, shape: number[], std = 1): tf.Tensor {
  return tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1), std), shape);
}

test('audio-transformer presets: base is fairseq HuBERT base (12 x 768, FFN 3072, 12 heads, conv stack stride 320, pos conv 128/16)', () => {
  const b = AUDIO_TRANSFORMER_PRESETS.base;
  assert.deepEqual([b.layers, b.dim, b.ffnDim, b.heads, b.frontend, b.normFirst], [12, 768, 3072, 12, 'waveform', false]);
  assert.deepEqual(b.convLayers.map((l) => l.kernel), [10, 3, 3, 3, 3, 2, 2]);
  assert.equal(b.convLayers.reduce((s, l) => s * l.stride, 1), 320);
  assert.deepEqual(b.posConv, { kernelSize: 128, groups: 16, weightNorm: true });
});

test('audio-transformer base (1 layer): fairseq parameter names and shapes; a second of audio gives 49 frames', async () => {
  await initBackend('wasm');
  const enc = buildEncoder({ kind: 'audio-transformer', preset: 'base', layers: 1 }, { seed: 1 });
  const params = enc.namedParameters();
  const shapes = (n: string) => params.get(n)?.shape;
  assert.deepEqual(shapes('feature_extractor.conv_layers.0.0.weight'), [10, 1, 512]);
  assert.deepEqual(shapes('feature_extractor.conv_layers.0.2.weight'), [512]);
  assert.equal(params.has('feature_extractor.conv_layers.1.2.weight'), false);
  assert.deepEqual(shapes('feature_extractor.conv_layers.6.0.weight'), [2, 512, 512]);
  assert.deepEqual(shapes('layer_norm.weight'), [512]);
  assert.deepEqual(shapes('post_extract_proj.weight'), [512, 768]);
  assert.deepEqual(shapes('mask_emb'), [768]);
  assert.deepEqual(shapes('encoder.pos_conv.0.weight_v'), [128, 48, 768]);
  assert.deepEqual(shapes('encoder.pos_conv.0.weight_g'), [128, 1, 1]);
  assert.deepEqual(shapes('encoder.layers.0.self_attn.q_proj.weight'), [768, 768]);
  assert.deepEqual(shapes('encoder.layers.0.fc1.weight'), [768, 3072]);
  assert.deepEqual(shapes('encoder.layer_norm.weight'), [768]);
  // Hand count: conv stack 512*10 + 4*(512*512*3) + 2*(512*512*2) + group norm 1024 = 4,200,448;
  // layer_norm 1024; projection 512*768+768; mask_emb 768; pos conv v 128*48*768 + g 128 + bias 768;
  // one block 4*(768*768+768) + 2*768*2 + 768*3072+3072 + 3072*768+768; encoder.layer_norm 1536.
  const block = 4 * (768 * 768 + 768) + 4 * 768 + 768 * 3072 + 3072 + 3072 * 768 + 768;
  const expected = 4200448 + 1024 + 512 * 768 + 768 + 768 + 128 * 48 * 768 + 128 + 768 + block + 1536;
  assert.equal(enc.numParameters(), expected);
  assert.equal(enc.outputLength(16000), 49);
  enc.dispose();
});

for (const backend of ['cpu', 'wasm'] as const) {
  test(`audio-transformer (${backend}): shapes, hidden states per layer, maxLayer, padding equivalence`, async () => {
    await initBackend(backend);
    const rng = new Rng(41);
    const enc = buildEncoder(SMALL, { seed: 3 });
    enc.eval();
    const x = randn(rng, [2, 11, 6]);
    const out = enc.forward(x);
    assert.equal(enc.outputLength(11), 6);
    assert.deepEqual(out.output.shape, [2, 6, 8]);
    assert.equal(out.hidden.length, 3);
    const early = enc.forward(x, { maxLayer: 1 });
    assert.equal(early.hidden.length, 2);
    assert.ok(tf.max(tf.abs(tf.sub(early.hidden[1], out.hidden[1]))).dataSync()[0] < 1e-6);
    // Sequence 1 padded after 7 frames equals the 7-frame sequence run alone (4 output frames).
    const xs = x.arraySync() as number[][][];
    const mask = tf.tensor2d([new Array(11).fill(0), [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1]]);
    const padded = enc.forward(x, { paddingMask: mask });
    assert.deepEqual(Array.from(padded.paddingMask!.dataSync()), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
    const alone = enc.forward(tf.tensor3d([xs[1].slice(0, 7)]));
    const a = (padded.output.arraySync() as number[][][])[1].slice(0, 4);
    const b = (alone.output.arraySync() as number[][][])[0];
    for (let t = 0; t < 4; t++) for (let c = 0; c < 8; c++) assert.ok(Math.abs(a[t][c] - b[t][c]) < 1e-4, `t${t} c${c}: ${a[t][c]} vs ${b[t][c]}`);
    tf.dispose([x, mask, out.output, ...out.hidden, out.features, ...early.hidden, padded.output, ...padded.hidden, padded.features, padded.paddingMask!, alone.output, ...alone.hidden, alone.features]);
    enc.dispose();
  });

  test(`audio-transformer (${backend}): masked frames become the learned mask vector; gradients of the whole encoder`, async () => {
    await initBackend(backend);
    const rng = new Rng(42);
    const enc = buildEncoder({ ...SMALL, posConv: null, normFirst: true }, { seed: 4 }) as AudioTransformerEncoder;
    enc.eval();
    const x = randn(rng, [2, 8, 6]);
    const frameMask = tf.tensor2d([[1, 0, 0, 1], [0, 0, 1, 0]]);
    const out = enc.forward(x, { frameMask });
    const h0 = out.hidden[0].arraySync() as number[][][];
    const emb = Array.from(enc.maskEmbedding.dataSync());
    for (const [b, t] of [[0, 0], [0, 3], [1, 2]]) for (let c = 0; c < 8; c++) assert.ok(Math.abs(h0[b][t][c] - emb[c]) < 1e-6);
    const feats = out.features.arraySync() as number[][][];
    for (let c = 0; c < 8; c++) assert.ok(Math.abs(h0[0][1][c] - feats[0][1][c]) < 1e-6);
    tf.dispose([out.output, ...out.hidden, out.features]);
    const full = buildEncoder(SMALL, { seed: 5 });
    const xv = tf.variable(x);
    const params = [...full.namedParameters()].filter(([n]) => /mask_emb|subsampler.conv_layers.0.0.weight_?|pos_conv.0.weight_g|layers.1.self_attn.k_proj.weight|layers.0.fc1.bias|encoder.layer_norm.weight/.test(n));
    assert.equal(params.length, 6);
    gradCheck(`encoder ${backend}`, new Map([['x', xv], ...params]), () => full.forward(xv, { frameMask }).output, { directions: 2, elements: 1 });
    tf.dispose([x, xv, frameMask]);
    enc.dispose();
    full.dispose();
  });

  test(`audio-transformer (${backend}): tensor count is flat across forward + backward steps`, async () => {
    await initBackend(backend);
    const rng = new Rng(43);
    const enc = buildEncoder({ ...SMALL, dropout: 0.1, attentionDropout: 0.1, inputDropout: 0.1 }, { seed: 6 });
    const x = randn(rng, [2, 9, 6]);
    const mask = tf.tensor2d([new Array(9).fill(0), [0, 0, 0, 0, 0, 0, 1, 1, 1]]);
    const frameMask = tf.tensor2d([[1, 0, 0, 0, 1], [0, 1, 0, 0, 0]]);
    const vars = [...enc.trainableParameters().values()];
    const counts: number[] = [];
    for (let step = 0; step < 4; step++) {
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(enc.forward(x, { paddingMask: mask, frameMask }).output)) as tf.Scalar, vars);
        assert.ok(Number.isFinite(value.dataSync()[0]));
        assert.equal(Object.keys(grads).length, vars.length);
      });
      counts.push(tf.memory().numTensors);
    }
    assert.deepEqual(counts, new Array(4).fill(counts[0]), `tensor counts ${counts}`);
    tf.dispose([x, mask, frameMask]);
    enc.dispose();
  });
}
