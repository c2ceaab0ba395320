import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as ort from 'onnxruntime-node';
import type { Encoder } from '../../src/models/encoder.ts';
import { buildEncoder } from '../../src/models/registry.ts';
import { ResNetEncoder } from '../../src/models/resnet.ts';
import { VitEncoder } from '../../src/models/vit.ts';
import { exportEncoderModel } from '../../src/export/export-model.ts';
import { Rng } from '../../src/util/rng.ts';
import { maxAbsDiff, randomArray } from './ort-helpers.ts';

await tf.setBackend('cpu');

/**
 * Parity of every encoder exporter, onnxruntime against the tfjs model: a padded batch of utterances of
 * different lengths, every hidden state and the output, each utterance's valid frames against the
 * utterance run alone in tfjs (what extraction does); images on several sizes and batch sizes.
 * Parameters are perturbed away from their initial values so norms' gains and biases matter.
 */
const TOL = 1e-4;

function report(t: { diagnostic(msg: string): void }, worst: number): void {
  t.diagnostic(`largest difference ${worst.toExponential(2)}`);
}

function perturb(enc: Encoder, seed: number): Encoder {
  const rng = new Rng(seed);
  for (const v of enc.namedParameters().values()) {
    tf.tidy(() => v.assign(tf.add(v, tf.tensor(rng.normalArray(v.size, 0.05), v.shape))));
  }
  return enc.eval();
}

async function session(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
}

/** Sequence encoders: input [B, T(, D)] with a padding mask; compares hidden_i and hidden per utterance. */
async function checkSequenceEncoder(name: string, enc: Encoder, dim: number | null, lengths: number[][]) {
  const { bytes, outputNames } = exportEncoderModel(enc, { layers: 'all', inputRate: dim === null ? 16000 : 100 });
  const s = await session(bytes);
  const hiddenNames = outputNames.filter((n) => n.startsWith('hidden_'));
  assert.equal(hiddenNames.length, enc.numLayers + 1);
  let worst = 0;
  for (const [k, lens] of lengths.entries()) {
    const steps = Math.max(...lens);
    const per = dim ?? 1;
    const utts = lens.map((n, i) => randomArray(n * per, 100 * k + i, -0.8, 0.8));
    const padded = new Float32Array(lens.length * steps * per);
    const mask = new Float32Array(lens.length * steps);
    utts.forEach((u, i) => {
      padded.set(u, i * steps * per);
      mask.fill(1, i * steps + lens[i], (i + 1) * steps);
    });
    const input = new ort.Tensor('float32', padded, dim === null ? [lens.length, steps] : [lens.length, steps, dim]);
    const out = await s.run({ [dim === null ? 'waveform' : 'features']: input, padding_mask: new ort.Tensor('float32', mask, [lens.length, steps]) });
    const outLens = Array.from(out.lengths.data as BigInt64Array, Number);
    for (const [i, u] of utts.entries()) {
      const ref = tf.tidy(() => {
        const x = dim === null ? tf.tensor2d(u, [1, lens[i]]) : tf.tensor3d(u, [1, lens[i], dim]);
        const r = enc.forward(x);
        return { hidden: r.hidden.map((h) => h.dataSync() as Float32Array), output: r.output.dataSync() as Float32Array, frames: r.output.shape[1] };
      });
      assert.equal(outLens[i], ref.frames, `${name} lens ${lens}: utterance ${i} frames`);
      const valid = (o: ort.Tensor) => {
        const [, frames, d] = o.dims;
        return (o.data as Float32Array).slice(i * frames * d, (i * frames + ref.frames) * d);
      };
      for (const [l, h] of ref.hidden.entries()) {
        const d = maxAbsDiff(valid(out[`hidden_${l}`]), h);
        worst = Math.max(worst, d);
        assert.ok(d <= TOL, `${name} lens ${lens} utterance ${i} hidden_${l}: max diff ${d}`);
      }
      const d = maxAbsDiff(valid(out.hidden), ref.output);
      worst = Math.max(worst, d);
      assert.ok(d <= TOL, `${name} lens ${lens} utterance ${i} output: max diff ${d}`);
    }
  }
  await s.release();
  return worst;
}

test('audio transformer, log-mel subsampler (pre-LN, even positional kernel): ONNX equals tfjs per utterance in a padded batch', async (t) => {
  const enc = perturb(buildEncoder({
    kind: 'audio-transformer', preset: 'tiny', inputDim: 12, dim: 16, heads: 2, ffnDim: 24, layers: 2,
    convLayers: [{ channels: 16, kernel: 3, stride: 2, padding: 1 }, { channels: 16, kernel: 3, stride: 1, padding: 1 }],
    posConv: { kernelSize: 4, groups: 2, weightNorm: true },
  }, { seed: 3 }), 1);
  report(t, await checkSequenceEncoder('logmel', enc, 12, [[9], [23, 16, 11], [40, 7]]));
});

test('audio transformer, HuBERT waveform stack (group norm on layer 0, post-LN, weight-normed positional conv): ONNX equals tfjs', async (t) => {
  const enc = perturb(buildEncoder({
    kind: 'audio-transformer', preset: 'base', dim: 16, heads: 2, ffnDim: 32, layers: 2,
    convLayers: [{ channels: 8, kernel: 10, stride: 5 }, { channels: 8, kernel: 3, stride: 2 }, { channels: 8, kernel: 2, stride: 2 }],
    posConv: { kernelSize: 4, groups: 4, weightNorm: true },
  }, { seed: 4 }), 2);
  report(t, await checkSequenceEncoder('waveform', enc, null, [[400], [623, 410, 200], [900, 333]]));
});

test('audio transformer with the plain linear frontend: ONNX equals tfjs', async (t) => {
  const enc = perturb(buildEncoder({ kind: 'audio-transformer', frontend: 'linear', inputDim: 6, dim: 8, heads: 2, ffnDim: 16, layers: 1, posConv: null }, { seed: 5 }), 3);
  report(t, await checkSequenceEncoder('linear', enc, 6, [[5], [13, 4]]));
});

test('CPC (conv stack with layer norm + GRU, and LSTM; two recurrent layers): ONNX equals tfjs', async (t) => {
  const convLayers = [{ channels: 8, kernel: 10, stride: 5, padding: 3 }, { channels: 8, kernel: 4, stride: 2, padding: 1 }];
  for (const rnn of ['gru', 'lstm'] as const) {
    const enc = perturb(buildEncoder({ kind: 'cpc', convLayers, dim: 6, layers: 2, rnn }, { seed: 6 }), 4);
    report(t, await checkSequenceEncoder(`cpc-${rnn}`, enc, null, [[200], [390, 250, 120]]));
  }
  const logmel = perturb(buildEncoder({ kind: 'cpc', frontend: 'logmel', inputDim: 5, convLayers: [{ channels: 8, kernel: 3, stride: 1, padding: 1 }], convNorm: 'group0', dim: 6, layers: 1 }, { seed: 7 }), 5);
  report(t, await checkSequenceEncoder('cpc-logmel', logmel, 5, [[17, 9]]));
});

/** Image encoders: NHWC batches of several sizes, every hidden state and the output. */
async function checkImageEncoder(name: string, enc: Encoder, shapes: [number, number, number][], channels: number): Promise<number> {
  let worst = 0;
  const { bytes, inputNames, outputNames } = exportEncoderModel(enc, { layers: 'all' });
  assert.deepEqual(inputNames, ['images']);
  const s = await session(bytes);
  for (const [k, [b, h, w]] of shapes.entries()) {
    const x = randomArray(b * h * w * channels, 50 + k);
    const ref = tf.tidy(() => {
      const r = enc.forward(tf.tensor4d(x, [b, h, w, channels]));
      return { hidden: r.hidden.map((t) => t.dataSync() as Float32Array), output: r.output.dataSync() as Float32Array };
    });
    const out = await s.run({ images: new ort.Tensor('float32', x, [b, h, w, channels]) });
    const names = outputNames.filter((n) => n.startsWith('hidden_'));
    assert.equal(names.length, ref.hidden.length);
    ref.hidden.forEach((r, l) => {
      const d = maxAbsDiff(out[`hidden_${l}`].data as Float32Array, r);
      worst = Math.max(worst, d);
      assert.ok(d <= TOL, `${name} ${b}x${h}x${w}: hidden_${l} max diff ${d}`);
    });
    const d = maxAbsDiff(out.hidden.data as Float32Array, ref.output);
    worst = Math.max(worst, d);
    assert.ok(d <= TOL, `${name} ${b}x${h}x${w}: output max diff ${d}`);
  }
  await s.release();
  return worst;
}

test('resnet (group norm, strided stages, projection shortcuts): ONNX equals tfjs on several image sizes', async (t) => {
  const enc = perturb(new ResNetEncoder({ inChannels: 3, stemWidth: 8, widths: [8, 16], blocks: [2, 1], strides: [1, 2], groups: 4, seed: 2 }), 6);
  report(t, await checkImageEncoder('resnet', enc, [[1, 8, 8], [3, 12, 12], [2, 9, 13]], 3));
  const pooled = perturb(new ResNetEncoder({ inChannels: 1, stemWidth: 4, widths: [8], blocks: [1], strides: [2], groups: 2, pool: 'mean', seed: 3 }), 7);
  report(t, await checkImageEncoder('resnet-mean', pooled, [[2, 8, 8], [1, 7, 5]], 1));
});

test('vit (patch embedding, position embedding, pre-LN blocks, final norm): ONNX equals tfjs on several sizes', async (t) => {
  for (const [imageSize, patchSize, pool] of [[8, 2, 'none'], [12, 4, 'mean']] as const) {
    const enc = perturb(new VitEncoder({ imageSize, patchSize, inChannels: 3, dim: 16, depth: 2, heads: 2, ffnDim: 32, pool, seed: 4 }), 8);
    report(t, await checkImageEncoder(`vit-${imageSize}`, enc, [[1, imageSize, imageSize], [4, imageSize, imageSize]], 3));
  }
});
