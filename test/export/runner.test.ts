import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphBuilder } from '../../src/export/graph.ts';
import { encodeModel, modelProto, readMetadataProps } from '../../src/util/onnx-proto.ts';
import { DataType } from '../../src/util/onnx-schema.ts';
import { OnnxRunner } from '../../src/export/runner.ts';
import { missingCudaLibraries, providersFor } from '../../src/export/providers.ts';
import { InputError } from '../../src/util/errors.ts';
import { randomArray } from './ort-helpers.ts';

const emptyProviderDir = mkdtempSync(join(tmpdir(), 'ort-bin-'));
const W = randomArray(3 * 2, 1);

/** features [b, t, 3] + padding_mask [b, t] -> hidden = (x @ W) * keep, lengths = t - sum(mask). */
function maskedModel(): Uint8Array {
  const g = new GraphBuilder();
  const x = g.input('features', ['batch', 'time', 3]);
  const mask = g.input('padding_mask', ['batch', 'time']);
  const keep = g.unsqueeze(g.sub(g.floats([1]), mask), [2]);
  g.output(g.mul(g.matMul(x, g.initializer('w', W, [3, 2])), keep), 'hidden', ['batch', 'time', 2]);
  const t = g.squeeze(g.shape(mask, 1, 2), [0]);
  g.output(g.sub(t, g.cast(g.reduceSum(mask, [1], false), DataType.INT64)), 'lengths', ['batch'], DataType.INT64);
  return encodeModel(modelProto(g.build(), { metadata: { sample_rate: '16000', frame_rate: '100' } }));
}

function project(u: Float32Array): Float32Array {
  const steps = u.length / 3;
  return Float32Array.from({ length: steps * 2 }, (_, k) => {
    const [t, j] = [Math.floor(k / 2), k % 2];
    return u[t * 3] * W[j] + u[t * 3 + 1] * W[2 + j] + u[t * 3 + 2] * W[4 + j];
  });
}

test('runner finds inputs, mask and lengths by name, pads, trims, and keeps input order across batches', async () => {
  const runner = await OnnxRunner.open(maskedModel(), { device: 'auto', threads: 1, providerDir: emptyProviderDir });
  assert.equal(runner.provider, 'cpu');
  assert.deepEqual(runner.input, { name: 'features', rank: 3, dim: 3 });
  assert.deepEqual(runner.mask, { name: 'padding_mask', type: 'float32', meaning: 'padding' });
  assert.equal(runner.lengthsName, 'lengths');
  assert.deepEqual(runner.outputNames, ['hidden']);
  assert.deepEqual(runner.metadata, { sample_rate: '16000', frame_rate: '100' });
  const steps = [5, 1, 9, 3, 7];
  const utts = steps.map((n, i) => ({ data: randomArray(n * 3, 20 + i), steps: n }));
  for (const batchSize of [1, 2, 8]) {
    const hidden = (await runner.runAll(utts, { batchSize })).get('hidden')!;
    hidden.forEach((m, i) => {
      assert.equal(m.frames, steps[i]);
      assert.equal(m.dim, 2);
      const expected = project(utts[i].data);
      m.data.forEach((v, k) => assert.ok(Math.abs(v - expected[k]) < 1e-5));
    });
  }
  await runner.close();
});

test('runner drives a model from another toolkit: waveform input, attention_mask (1 = valid, int64), no lengths output', async () => {
  const g = new GraphBuilder();
  const x = g.input('input_values', ['batch', 'samples']);
  g.input('attention_mask', ['batch', 'samples'], DataType.INT64);
  // frames = samples / 4 (a stride-4 mean), hidden dim 1
  const conv = g.conv(g.unsqueeze(x, [1]), g.floats([0.25, 0.25, 0.25, 0.25], [1, 1, 4]), undefined, { strides: [4] });
  g.output(g.transpose(conv, [0, 2, 1]), 'last_hidden_state', ['batch', 'frames', 1]);
  const runner = await OnnxRunner.open(encodeModel(modelProto(g.build())), { device: 'cpu' });
  assert.deepEqual(runner.input, { name: 'input_values', rank: 2, dim: 1 });
  assert.deepEqual(runner.mask, { name: 'attention_mask', type: 'int64', meaning: 'valid' });
  const a = Float32Array.from({ length: 16 }, (_, i) => i);
  const b = Float32Array.from({ length: 8 }, (_, i) => -i);
  const out = (await runner.runBatch([{ data: a, steps: 16 }, { data: b, steps: 8 }])).get('last_hidden_state')!;
  assert.deepEqual(Array.from(out[0].data), [1.5, 5.5, 9.5, 13.5]);
  assert.deepEqual(Array.from(out[1].data), [-1.5, -5.5]);
  await runner.close();
});

test('--device cuda without the CUDA provider installed is a clear error saying how to install it', async () => {
  assert.equal(missingCudaLibraries(emptyProviderDir).length > 0, true);
  await assert.rejects(
    OnnxRunner.open(maskedModel(), { device: 'cuda', providerDir: emptyProviderDir }),
    (e: unknown) => e instanceof InputError && /--device cuda/.test(e.message) && /not installed/.test(e.message) && /npm run setup:cuda/.test(e.message) && /CUDA 12/.test(e.message),
  );
  assert.deepEqual(providersFor('auto', emptyProviderDir), ['cpu']);
  assert.deepEqual(providersFor('cpu', emptyProviderDir), ['cpu']);
  // With the libraries present, auto tries CUDA first and keeps CPU as the fallback.
  const full = mkdtempSync(join(tmpdir(), 'ort-bin-'));
  for (const f of ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so']) writeFileSync(join(full, f), '');
  if (process.platform === 'linux') assert.deepEqual(providersFor('auto', full), ['cuda', 'cpu']);
});

test('runner errors name the file and what is wrong', async () => {
  await assert.rejects(OnnxRunner.open('/nonexistent/model.onnx'), /\/nonexistent\/model.onnx: cannot read the model/);
  const bad = join(mkdtempSync(join(tmpdir(), 'onnx-')), 'bad.onnx');
  writeFileSync(bad, 'this is not a protobuf');
  await assert.rejects(OnnxRunner.open(bad, { device: 'cpu' }), (e: unknown) => e instanceof InputError && e.message.startsWith(bad));
  await assert.rejects(OnnxRunner.open(maskedModel(), { device: 'cpu', inputName: 'wave' }), /no input named "wave" \(inputs: features, padding_mask\)/);
  await assert.rejects(OnnxRunner.open(maskedModel(), { device: 'cpu', outputNames: ['h9'] }), /no output named "h9"/);
});

test('metadata_props are read without decoding the graph', () => {
  assert.deepEqual(readMetadataProps(maskedModel()), { sample_rate: '16000', frame_rate: '100' });
});
