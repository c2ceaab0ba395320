import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { Args } from '../../src/util/args.ts';
import trainCommand, { runTrain } from '../../src/cli/commands/train.ts';
import { buildEncoder } from '../../src/models/registry.ts';
import { loadTrainedEncoder } from '../../src/checkpoint/trained-encoder.ts';
import { readFeatureConfig } from '../../src/checkpoint/feature-config.ts';
import { featurizerFromConfig } from '../../src/features/input-features.ts';
import { featurizeFile } from '../../src/features/extract/featurize-file.ts';
import { decodeAudio } from '../../src/audio/decode.ts';
import { readNpy } from '../../src/util/npy.ts';
import { useBackend } from '../train/fixtures/backend.ts';
import { TINY_METHODS } from '../train/fixtures/tiny.ts';
import { maxAbsDiff } from '../export/ort-helpers.ts';
import { runCli, writeGoodCorpus } from './cli-helpers.ts';

/**
 * The export and learned-feature commands end to end: fbank features extracted by the CLI, a real
 * audio transformer trained on them for two steps (in process, with the tiny test methods), then the
 * real CLI exports it (with and without the frontend) and extracts its hidden layer 1 with tfjs and with
 * onnxruntime; every result is compared with the tfjs model run in this process.
 */
await useBackend('cpu');
const dir = mkdtempSync(join(tmpdir(), 'cli-export-'));
const audio = join(dir, 'audio');
const rels = writeGoodCorpus(audio, 4, 0.5); // utt00, utt03 at 16 kHz; utt01 8 kHz; utt02 44.1 kHz FLAC
const run = join(dir, 'run');

const fbank = await runCli(['extract', audio, '--features', 'fbank', '--num-mel-bins', '12', '--out', join(dir, 'feats'), '--concat', '--split', 'train']);
assert.equal(fbank.code, 0, fbank.stderr);
const ENCODER = {
  kind: 'audio-transformer', frontend: 'logmel', inputDim: 12, convLayers: [{ channels: 16, kernel: 3, stride: 1, padding: 1 }],
  dim: 16, heads: 2, ffnDim: 32, layers: 2, posConv: { kernelSize: 4, groups: 2, weightNorm: true },
};
writeFileSync(join(dir, 'run.json'), JSON.stringify({
  seed: 3, encoder: ENCODER, methods: [{ name: 'next-frame' }],
  data: { kind: 'features', train: { features: 'feats/train' }, batchSize: 2, maxFrames: 30 }, train: { maxSteps: 2, logEvery: 1 },
}));
const trainArgs = new Args(['--config', join(dir, 'run.json'), '--out', run, '--backend', 'cpu', '--no-progress'], trainCommand.booleanFlags);
assert.equal(await runTrain(trainArgs, { buildEncoder: (c, ctx) => buildEncoder(c, { seed: ctx.seed }), methods: TINY_METHODS }), 0);

/** The tfjs reference: each file decoded, resampled and featurized as extraction does, then the trained encoder. */
const trained = loadTrainedEncoder(run);
const featurizer = await featurizerFromConfig(readFeatureConfig(join(run, 'features.json')), 'features.json', 12);
const reference = new Map<string, { hidden: Float32Array[]; frames: number }>();
for (const rel of rels) {
  const { matrix } = await featurizeFile(join(audio, rel), featurizer, rel);
  reference.set(rel, tf.tidy(() => {
    const r = trained.encoder.forward(tf.tensor3d(matrix.data, [1, matrix.frames, matrix.dims]));
    return { hidden: r.hidden.map((h) => Float32Array.from(h.dataSync() as Float32Array)), frames: r.output.shape[1] };
  }));
}
const npyOf = (rel: string) => rel.replace(/\.(wav|flac)$/, '.npy');

test('train carries the features.json of its training data into the run folder', () => {
  assert.deepEqual(JSON.parse(readFileSync(join(run, 'features.json'), 'utf8')), JSON.parse(readFileSync(join(dir, 'feats', 'features.json'), 'utf8')));
  assert.equal(trained.step, 2);
});

test('speech-ssl export --with-frontend: the file loads in onnxruntime and matches the tfjs hidden states on a padded batch', async () => {
  const file = join(dir, 'all.onnx');
  const r = await runCli(['export', run, '--out', file, '--layers', 'all', '--with-frontend']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /inputs waveform, padding_mask; outputs hidden, hidden_0, hidden_1, hidden_2, lengths/);
  const session = await ort.InferenceSession.create(file);
  assert.deepEqual([...session.inputNames], ['waveform', 'padding_mask']);
  const meta = (await import('../../src/util/onnx-proto.ts')).readMetadataProps(readFileSync(file));
  assert.equal(meta.checkpoint_step, '2');
  assert.equal(meta.project_version, JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
  assert.equal(JSON.parse(meta.frontend).numMelBins, 12);
  // utt00 and utt03 are 16 kHz: one padded batch of both.
  const a = rels.filter((x) => /utt0[03]/.test(x));
  const waves = await Promise.all(a.map(async (rel) => (await decodeAudio(join(audio, rel))).mono));
  const n = Math.max(...waves.map((w) => w.length));
  const x = new Float32Array(2 * n);
  const mask = new Float32Array(2 * n).fill(0);
  waves.forEach((w, i) => {
    x.set(w, i * n);
    mask.fill(1, i * n + w.length, (i + 1) * n);
  });
  const out = await session.run({ waveform: new ort.Tensor('float32', x, [2, n]), padding_mask: new ort.Tensor('float32', mask, [2, n]) });
  const lengths = Array.from(out.lengths.data as BigInt64Array, Number);
  for (const [i, rel] of a.entries()) {
    const ref = reference.get(rel)!;
    assert.equal(lengths[i], ref.frames, rel);
    for (let l = 0; l <= 2; l++) {
      const t = out[`hidden_${l}`];
      const [, frames, d] = t.dims;
      const got = (t.data as Float32Array).slice(i * frames * d, (i * frames + ref.frames) * d);
      const diff = maxAbsDiff(got, ref.hidden[l]);
      assert.ok(diff <= 1e-4, `${rel} hidden_${l}: max diff ${diff}`);
    }
  }
  await session.release();
});

test('speech-ssl extract --features <run> --layer 1 writes the tfjs hidden state of every file; --features model.onnx (batched) the same', async () => {
  const fromCkpt = join(dir, 'ckpt-l1');
  let r = await runCli(['extract', audio, '--features', run, '--layer', '1', '--out', fromCkpt, '--backend', 'cpu']);
  assert.equal(r.code, 0, r.stderr);
  for (const rel of rels) {
    const m = readNpy(join(fromCkpt, npyOf(rel)));
    assert.deepEqual(m.shape, [reference.get(rel)!.frames, 16]);
    assert.ok(maxAbsDiff(m.data as Float32Array, reference.get(rel)!.hidden[1]) <= 1e-5, rel);
  }
  const cfg = JSON.parse(readFileSync(join(fromCkpt, 'features.json'), 'utf8')) as { kind: string; layer: number; step: number };
  assert.deepEqual([cfg.kind, cfg.layer, cfg.step], ['checkpoint', 1, 2]);

  // --layer all: every hidden state side by side, the layers named in features.json (for eval probe --layers).
  const all = join(dir, 'ckpt-all');
  r = await runCli(['extract', audio, '--features', run, '--layer', 'all', '--out', all, '--backend', 'cpu']);
  assert.equal(r.code, 0, r.stderr);
  const allCfg = JSON.parse(readFileSync(join(all, 'features.json'), 'utf8')) as { layer: string; layers: number[]; layerDim: number };
  const L = allCfg.layers.length;
  assert.deepEqual([allCfg.layer, allCfg.layerDim, allCfg.layers], ['all', 16, [0, 1, 2]]);
  for (const rel of rels) {
    const m = readNpy(join(all, npyOf(rel)));
    const ref = reference.get(rel)!;
    assert.deepEqual(m.shape, [ref.frames, 16 * L]);
    for (const [b, l] of allCfg.layers.entries()) {
      const block = Float32Array.from({ length: ref.frames * 16 }, (_, k) => (m.data as Float32Array)[Math.floor(k / 16) * 16 * L + b * 16 + (k % 16)]);
      assert.ok(maxAbsDiff(block, ref.hidden[l]) <= 1e-5, `${rel} block ${b} (hidden ${l})`);
    }
  }

  const file = join(dir, 'l1.onnx');
  r = await runCli(['export', join(run, 'checkpoints', 'step-000000002'), '--out', file, '--layers', '1', '--with-frontend']);
  assert.equal(r.code, 0, r.stderr);
  const fromOnnx = join(dir, 'onnx-l1');
  r = await runCli(['extract', audio, '--features', file, '--layer', '1', '--batch-size', '3', '--threads', '1', '--out', fromOnnx, '--concat', '--split', 'train']);
  assert.equal(r.code, 0, r.stderr);
  const lens = readFileSync(join(fromOnnx, 'train_0_1.len'), 'utf8').trim().split('\n').map(Number);
  assert.deepEqual(lens, rels.map((rel) => reference.get(rel)!.frames));
  const shard = readNpy(join(fromOnnx, 'train_0_1.npy')).data as Float32Array;
  let row = 0;
  for (const [i, rel] of rels.entries()) {
    const diff = maxAbsDiff(shard.subarray(row * 16, (row + lens[i]) * 16), reference.get(rel)!.hidden[1]);
    assert.ok(diff <= 1e-4, `${rel}: max diff ${diff}`);
    row += lens[i];
  }
});

test('a feature-input ONNX export (no frontend, no padding mask) extracts through the feature_config in its metadata', async () => {
  const file = join(dir, 'feat.onnx');
  let r = await runCli(['export', run, '--out', file, '--layers', '0,2', '--no-padding-mask']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /inputs features; outputs hidden_0, hidden_2, lengths/);
  const out = join(dir, 'onnx-l2');
  r = await runCli(['extract', audio, '--features', file, '--layer', '2', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  for (const rel of rels) assert.ok(maxAbsDiff(readNpy(join(out, npyOf(rel))).data as Float32Array, reference.get(rel)!.hidden[2]) <= 1e-4, rel);
  r = await runCli(['extract', audio, '--features', file, '--layer', '1', '--out', join(dir, 'none')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /feat\.onnx: --layer: has no output hidden_1 \(outputs: hidden_0, hidden_2, lengths\); export it with --layers 1/);
});

test('errors: --device cuda without the provider, a missing checkpoint, a file that is not ONNX, a frontend ONNX cannot compute', async () => {
  let r = await runCli(['extract', audio, '--features', join(dir, 'all.onnx'), '--device', 'cuda', '--out', join(dir, 'cuda')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--device cuda: the CUDA execution provider of onnxruntime-node is not installed .*npm run setup:cuda/);
  const missing = join(dir, 'no-such-run');
  r = await runCli(['export', missing, '--out', join(dir, 'x.onnx')]);
  assert.equal(r.code, 2);
  assert.ok(r.stderr.includes(`${missing}: no such checkpoint or run folder`), r.stderr);
  r = await runCli(['extract', audio, '--features', missing, '--out', join(dir, 'y')]);
  assert.equal(r.code, 2);
  assert.ok(r.stderr.includes(`${missing}: no such checkpoint or run folder`), r.stderr);
  const bogus = join(dir, 'bogus.onnx');
  writeFileSync(bogus, 'not a model');
  r = await runCli(['extract', audio, '--features', bogus, '--out', join(dir, 'z')]);
  assert.equal(r.code, 2);
  assert.ok(r.stderr.includes(`${bogus}: not an ONNX model`), r.stderr);
  const dithered = join(dir, 'dither.json');
  writeFileSync(dithered, JSON.stringify({ ...readFeatureConfig(join(run, 'features.json')), dither: 1 }));
  const refused = join(dir, 'refused.onnx');
  r = await runCli(['export', run, '--out', refused, '--with-frontend', '--frontend-config', dithered]);
  assert.equal(r.code, 2);
  assert.ok(r.stderr.includes(`${dithered}: dither: dither 1 adds random noise; the ONNX frontend cannot reproduce it`), r.stderr);
  assert.ok(!existsSync(refused));
  r = await runCli(['export', run, '--out', refused, '--layers', '3']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--layers: expected all, last or layer numbers 0\.\.2/);
});
