import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as ort from 'onnxruntime-node';
import type { Module } from '../../src/nn/module.ts';
import { Linear } from '../../src/nn/linear.ts';
import { LayerNorm } from '../../src/nn/layer-norm.ts';
import { GroupNorm } from '../../src/nn/group-norm.ts';
import { MultiHeadAttention } from '../../src/nn/attention.ts';
import { TransformerBlock } from '../../src/nn/transformer-block.ts';
import { Conv1d } from '../../src/nn/conv1d.ts';
import { ConvPositionalEmbedding } from '../../src/nn/pos-conv.ts';
import { GRU } from '../../src/nn/gru.ts';
import { LSTM } from '../../src/nn/lstm.ts';
import { Rng } from '../../src/util/rng.ts';
import { ExportContext } from '../../src/export/export-context.ts';
import { exportLayer } from '../../src/export/registry.ts';
import { encodeModel, modelProto } from '../../src/util/onnx-proto.ts';
import { DataType } from '../../src/util/onnx-schema.ts';
import '../../src/export/layers/index.ts';
import { randomArray } from './ort-helpers.ts';

await tf.setBackend('cpu');

/** The layer alone as a model: x [B, T, D] + lengths [B] -> y, lengths_out. */
async function onnxLayer(layer: Module, dim: number) {
  const ctx = new ExportContext(layer);
  const g = ctx.g;
  const x = g.input('x', ['b', 't', dim]);
  const lengths = g.input('lengths', ['b'], DataType.INT64);
  const y = exportLayer(ctx, layer, { x, dim, lengths });
  g.output(y.x, 'y', ['b', 'u', y.dim]);
  g.output(y.lengths ?? lengths, 'lengths_out', ['b'], DataType.INT64);
  const session = await ort.InferenceSession.create(encodeModel(modelProto(g.build())));
  return async (data: Float32Array, dims: number[], lens: number[]) => {
    const out = await session.run({ x: new ort.Tensor('float32', data, dims), lengths: new ort.Tensor('int64', BigInt64Array.from(lens.map(BigInt)), [lens.length]) });
    return { y: out.y.data as Float32Array, dims: [...out.y.dims], lengths: Array.from(out.lengths_out.data as BigInt64Array, Number) };
  };
}

type Forward = (x: tf.Tensor3D, mask?: tf.Tensor2D) => tf.Tensor3D;

/**
 * Checks a layer on several lengths: a full batch against tfjs on the same batch, and a padded batch
 * whose valid output frames must equal each utterance run alone in tfjs.
 */
async function checkParity(name: string, layer: Module, dim: number, forward: Forward, outLength: (n: number) => number = (n) => n, tol = 1e-5) {
  layer.eval();
  const run = await onnxLayer(layer, dim);
  for (const t of [5, 12, 17]) {
    const x = randomArray(2 * t * dim, t * 7 + dim, -1.5, 1.5);
    const ref = tf.tidy(() => forward(tf.tensor3d(x, [2, t, dim])).dataSync() as Float32Array);
    const full = await run(x, [2, t, dim], [t, t]);
    let diff = 0;
    for (let i = 0; i < ref.length; i++) diff = Math.max(diff, Math.abs(ref[i] - full.y[i]));
    assert.equal(full.y.length, ref.length, `${name} T=${t}: output size`);
    assert.ok(diff <= tol, `${name} T=${t}: full batch max diff ${diff}`);
    // padded: second utterance shorter
    const short = Math.max(3, t - 4);
    const padded = await run(x, [2, t, dim], [t, short]);
    assert.deepEqual(padded.lengths, [outLength(t), outLength(short)], `${name}: lengths`);
    const alone = tf.tidy(() => forward(tf.tensor3d(x.slice(t * dim, (t + short) * dim), [1, short, dim])).dataSync() as Float32Array);
    const [, u, d] = padded.dims;
    const rows = padded.y.subarray(u * d, u * d + outLength(short) * d);
    assert.equal(rows.length, alone.length);
    let pdiff = 0;
    for (let i = 0; i < alone.length; i++) pdiff = Math.max(pdiff, Math.abs(alone[i] - rows[i]));
    assert.ok(pdiff <= tol, `${name} T=${t}: padded utterance vs alone max diff ${pdiff}`);
  }
}

test('Linear and LayerNorm match tfjs', async () => {
  const lin = new Linear(6, 5, { rng: new Rng(1) });
  await checkParity('Linear', lin, 6, (x) => lin.forward(x) as tf.Tensor3D);
  const noBias = new Linear(6, 3, { bias: false, rng: new Rng(2) });
  await checkParity('Linear without bias', noBias, 6, (x) => noBias.forward(x) as tf.Tensor3D);
  const ln = new LayerNorm(6, 1e-5);
  ln.weight.assign(tf.tensor1d(randomArray(6, 3, 0.5, 1.5)));
  ln.bias.assign(tf.tensor1d(randomArray(6, 4)));
  await checkParity('LayerNorm', ln, 6, (x) => ln.forward(x) as tf.Tensor3D);
});

test('GroupNorm over time (groups = channels and 2 groups) matches tfjs, padding excluded from the statistics', async () => {
  for (const groups of [4, 2]) {
    const gn = new GroupNorm(groups, 4);
    gn.weight.assign(tf.tensor1d(randomArray(4, 5, 0.5, 1.5)));
    gn.bias.assign(tf.tensor1d(randomArray(4, 6)));
    await checkParity(`GroupNorm(${groups})`, gn, 4, (x) => gn.forward(x));
  }
});

test('MultiHeadAttention with key padding and transformer blocks (pre-LN, post-LN, relu) match tfjs', async () => {
  const mha = new MultiHeadAttention(8, 2, { rng: new Rng(7) });
  await checkParity('MultiHeadAttention', mha, 8, (x) => mha.forward(x));
  for (const [normFirst, activation] of [[true, 'gelu'], [false, 'gelu'], [true, 'relu']] as const) {
    const blk = new TransformerBlock({ dim: 8, heads: 2, ffnDim: 16, normFirst, activation, rng: new Rng(8) });
    await checkParity(`TransformerBlock(normFirst=${normFirst}, ${activation})`, blk, 8, (x) => blk.forward(x));
  }
});

test('Conv1d (stride, dilation, groups, padding, same, weight norm) and the positional convolution match tfjs', async () => {
  const cases: [string, Conv1d][] = [
    ['valid stride 2', new Conv1d(4, 6, 3, { stride: 2, rng: new Rng(9) })],
    ['padding 2 dilation 2 groups 2', new Conv1d(4, 6, 3, { padding: 2, dilation: 2, groups: 2, rng: new Rng(10) })],
    ['same stride 1', new Conv1d(4, 4, 4, { padding: 'same', rng: new Rng(11) })],
    ['weight norm, no bias', new Conv1d(4, 4, 3, { padding: 1, weightNorm: true, bias: false, rng: new Rng(12) })],
  ];
  for (const [name, conv] of cases) await checkParity(`Conv1d ${name}`, conv, 4, (x) => conv.forward(x), (n) => conv.outputLength(n));
  const pos = new ConvPositionalEmbedding(4, { kernelSize: 4, groups: 2, rng: new Rng(13) });
  pos.conv.bias?.assign(tf.tensor1d(randomArray(4, 14)));
  await checkParity('ConvPositionalEmbedding', pos, 4, (x) => pos.forward(x));
});

test('GRU and LSTM (two layers, PyTorch gate order) match tfjs on every valid frame', async () => {
  const gru = new GRU(5, 4, { numLayers: 2, rng: new Rng(15) });
  await checkParity('GRU', gru, 5, (x) => gru.forward(x).output);
  const lstm = new LSTM(5, 3, { numLayers: 2, rng: new Rng(16) });
  await checkParity('LSTM', lstm, 5, (x) => lstm.forward(x).output);
});

test('Conv2d on channels-last images (same, valid, explicit padding, stride 2) matches tfjs', async () => {
  const { Conv2d } = await import('../../src/nn/conv2d.ts');
  for (const padding of ['same', 'valid', 1] as const) {
    const conv = new Conv2d(3, 4, 3, { stride: 2, padding, rng: new Rng(17) });
    const ctx = new ExportContext(conv);
    const x = ctx.g.input('x', ['b', 'h', 'w', 3]);
    ctx.g.output(exportLayer(ctx, conv, { x, dim: 3 }).x, 'y', ['b', 'h2', 'w2', 4]);
    const session = await ort.InferenceSession.create(encodeModel(modelProto(ctx.g.build())));
    for (const [h, w] of [[9, 8], [6, 7]]) {
      const data = randomArray(2 * h * w * 3, h * w);
      const out = await session.run({ x: new ort.Tensor('float32', data, [2, h, w, 3]) });
      const ref = tf.tidy(() => conv.forward(tf.tensor4d(data, [2, h, w, 3])));
      assert.deepEqual([...out.y.dims], ref.shape, `padding ${padding}`);
      const r = ref.dataSync();
      (out.y.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - r[i]) <= 1e-5, `padding ${padding} [${i}]`));
      ref.dispose();
    }
  }
});
