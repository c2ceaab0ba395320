/** Checkpoint -> ONNX and checkpoint/ONNX -> features in process, for waveform encoders; the frontend mapping. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../train/fixtures/backend.ts';
import { buildEncoder } from '../../src/models/registry.ts';
import type { Encoder } from '../../src/models/encoder.ts';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, saveCheckpoint } from '../../src/checkpoint/checkpoint.ts';
import { featureConfigBesideData, findTrainingFeatureConfig } from '../../src/checkpoint/feature-config.ts';
import { exportCheckpoint } from '../../src/export/export-checkpoint.ts';
import { frontendFromFeatureConfig } from '../../src/export/frontend-config.ts';
import { KALDI_FBANK80, MELSPEC80 } from '../../src/export/frontend.ts';
import { createFeaturizer } from '../../src/features/featurizer.ts';
import { readMetadataProps } from '../../src/util/onnx-proto.ts';
import type { JsonValue } from '../../src/util/fields.ts';
import { Rng } from '../../src/util/rng.ts';
import { maxAbsDiff, randomArray } from './ort-helpers.ts';

await useBackend('cpu');
const dir = mkdtempSync(join(tmpdir(), 'export-ckpt-'));

/** Writes `encoder` as a run folder's checkpoint at `step` (the layout the Trainer writes). */
function writeCheckpoint(runDir: string, encoder: Encoder, step: number): string {
  const rng = new Rng(step);
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [n, v] of encoder.namedParameters('encoder.')) {
    tf.tidy(() => v.assign(tf.add(v, tf.tensor(rng.normalArray(v.size, 0.05), v.shape)))); // not the initial values
    weights.set(n, { shape: [...v.shape], data: Float32Array.from(v.dataSync() as Float32Array) });
  }
  const path = join(runDir, 'checkpoints', `step-${String(step).padStart(9, '0')}`);
  saveCheckpoint(path, {
    model: { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, step, encoder: { kind: encoder.kind, ...(encoder.config as Record<string, JsonValue>) }, methods: [], tensors: {} },
    weights,
    optimizer: { hyper: {}, slots: new Map() },
    trainer: { step, seed: 1, epoch: 0, data: null, methods: {}, best: null, elapsed: 0, config: {} },
  });
  return path;
}

const WAVEFORM_TRANSFORMER = {
  kind: 'audio-transformer', preset: 'base', dim: 16, heads: 2, ffnDim: 32, layers: 2,
  convLayers: [{ channels: 8, kernel: 10, stride: 5 }, { channels: 8, kernel: 3, stride: 2 }, { channels: 8, kernel: 2, stride: 2 }],
  posConv: { kernelSize: 4, groups: 4, weightNorm: true },
};
const CPC = { kind: 'cpc', convLayers: [{ channels: 8, kernel: 10, stride: 5, padding: 3 }, { channels: 8, kernel: 4, stride: 2, padding: 1 }], dim: 6, layers: 2, rnn: 'gru' };

for (const [name, config] of [['waveform transformer', WAVEFORM_TRANSFORMER], ['CPC (GRU)', CPC]] as const) {
  test(`${name}: extract from the checkpoint (tfjs) and from its export (onnxruntime, batched) equal the model per utterance`, async () => {
    const enc = buildEncoder(config, { seed: 2 }).eval();
    const runDir = join(dir, name.replace(/\W+/g, '-'));
    writeCheckpoint(runDir, enc, 1);
    writeCheckpoint(runDir, enc, 4); // the latest: a run folder without best.json resolves to it
    const waves = [1234, 400, 2001, 977].map((n, i) => randomArray(n, 10 + i, -0.5, 0.5));
    const ref = waves.map((w) => tf.tidy(() => enc.forward(tf.tensor2d(w, [1, w.length])).hidden[1].dataSync() as Float32Array));

    const fromCkpt = await createFeaturizer(runDir, { layer: '1', backend: 'cpu' });
    assert.equal(fromCkpt.sampleRate, 16000);
    assert.equal(fromCkpt.config.step, 4);
    for (const [i, w] of waves.entries()) assert.deepEqual((await fromCkpt.compute(w)).data, ref[i]);
    await fromCkpt.dispose?.();

    const out = join(dir, `${name.replace(/\W+/g, '-')}.onnx`);
    const r = exportCheckpoint({ checkpoint: runDir, out, layers: '1,2', withFrontend: false, frontendPrecision: 'float64', paddingMask: true });
    assert.equal(r.step, 4);
    assert.deepEqual(r.model.inputNames, ['waveform', 'padding_mask']);
    assert.equal(r.model.metadata.sample_rate, '16000');
    assert.equal(readMetadataProps(readFileSync(out)).checkpoint_step, '4');
    const fromOnnx = await createFeaturizer(out, { layer: '1', batchSize: 3, threads: 1, device: 'cpu' });
    assert.equal(fromOnnx.batchSize, 3);
    const mats = await fromOnnx.computeBatch!(waves, waves.map(() => ({})));
    mats.forEach((m, i) => {
      const d = maxAbsDiff(m.data, ref[i]);
      assert.ok(d <= 1e-4, `utterance ${i}: max diff ${d}`);
    });
    await fromOnnx.dispose?.();
    // Names given explicitly (as for a model from another toolkit): the input and any output.
    const named = await createFeaturizer(out, { inputName: 'waveform', outputName: 'hidden_2', device: 'cpu' });
    const ref2 = tf.tidy(() => enc.forward(tf.tensor2d(waves[0], [1, waves[0].length])).hidden[2].dataSync() as Float32Array);
    assert.ok(maxAbsDiff((await named.compute(waves[0])).data, ref2) <= 1e-4);
    await named.dispose?.();
    await assert.rejects(createFeaturizer(out, { outputName: 'logits', device: 'cpu' }), /--output-name: no output named "logits" \(outputs: hidden_1, hidden_2, lengths\)/);

    // With best.json marking step 1, the run folder means that checkpoint.
    writeFileSync(join(runDir, 'checkpoints', 'best.json'), JSON.stringify({ metric: 'valid/loss', value: 1, step: 1, dir: 'step-000000001' }));
    assert.equal(exportCheckpoint({ checkpoint: runDir, out: join(dir, 'best.onnx'), layers: 'last', withFrontend: false, frontendPrecision: 'float64', paddingMask: true }).step, 1);
    assert.throws(
      () => exportCheckpoint({ checkpoint: runDir, out: join(dir, 'no.onnx'), layers: 'last', withFrontend: true, frontendPrecision: 'float64', paddingMask: true }),
      /--with-frontend is for encoders that take features; this .* encoder takes the waveform itself/,
    );
    enc.dispose();
  });
}

test('features.json to the ONNX frontend: fbank and melspec map exactly; what the graph cannot compute is refused by field', async () => {
  const cfg = async (spec: string, values = {}) => (await createFeaturizer(spec, values)).config as Record<string, JsonValue>;
  assert.deepEqual(frontendFromFeatureConfig(await cfg('fbank'), 'f.json'), KALDI_FBANK80);
  assert.deepEqual(frontendFromFeatureConfig(await cfg('melspec'), 'f.json'), MELSPEC80);
  assert.deepEqual(frontendFromFeatureConfig(await cfg('fbank', { numMelBins: 40, windowType: 'hamming', frameShift: 20 }), 'f.json'), { ...KALDI_FBANK80, numMelBins: 40, windowType: 'hamming', frameShift: 20 });
  const refused: [string, Record<string, JsonValue>, RegExp][] = [
    ['mfcc', {}, /f\.json: features: the features are "mfcc"/],
    ['fbank', { deltas: true }, /f\.json: deltas: deltas are appended/],
    ['fbank', { cmvn: 'mean' }, /f\.json: cmvn: utterance CMVN "mean"/],
    ['fbank', { useEnergy: true }, /f\.json: useEnergy/],
    ['fbank', { snipEdges: false }, /f\.json: snipEdges/],
    ['fbank', { windowType: 'blackman' }, /f\.json: windowType: window "blackman"/],
    ['melspec', { melScale: 'slaney' }, /f\.json: melScale/],
    ['meyda:rms', {}, /features: the features are "meyda:rms"/],
  ];
  for (const [spec, values, re] of refused) {
    const base = await cfg(spec);
    assert.throws(() => frontendFromFeatureConfig({ ...base, ...values }, 'f.json'), re, `${spec} ${JSON.stringify(values)}`);
  }
});

test('the features.json of a run is found beside data.train.features: a folder, a shard prefix, a shard file', () => {
  const feats = join(dir, 'feats');
  mkdirSync(feats, { recursive: true });
  writeFileSync(join(feats, 'train_0_1.npy'), '');
  const at = (features: string, baseDir?: string) => featureConfigBesideData({ ...(baseDir ? { baseDir } : {}), data: { kind: 'features', train: { features } } });
  assert.equal(at(feats), join(feats, 'features.json'));
  assert.equal(at(join(feats, 'train')), join(feats, 'features.json'));
  assert.equal(at(join(feats, 'train_0_1.npy')), join(feats, 'features.json'));
  assert.equal(at('feats/train', dir), join(feats, 'features.json'));
  assert.equal(featureConfigBesideData({ data: { kind: 'waveform', train: { manifest: 'x.tsv' } } }), undefined);
  // A checkpoint inside a run folder uses the run's copy first; one kept elsewhere only the data's.
  const runConfig = { data: { kind: 'features', train: { features: join(feats, 'train') } } };
  const run = join(dir, 'fc-run');
  const ckpt = join(run, 'checkpoints', 'step-000000001');
  mkdirSync(ckpt, { recursive: true });
  assert.equal(findTrainingFeatureConfig(ckpt, runConfig), undefined, 'no features.json anywhere yet');
  writeFileSync(join(feats, 'features.json'), '{}');
  assert.equal(findTrainingFeatureConfig(ckpt, runConfig), join(feats, 'features.json'));
  writeFileSync(join(run, 'features.json'), '{}');
  assert.equal(findTrainingFeatureConfig(ckpt, runConfig), join(run, 'features.json'));
  const loose = join(run, 'kept', 'ckpt');
  mkdirSync(loose, { recursive: true });
  writeFileSync(join(run, 'kept', '..', 'features.json'), '{}');
  assert.equal(findTrainingFeatureConfig(loose, runConfig), join(feats, 'features.json'));
});
