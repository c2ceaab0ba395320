import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.ts';
import { importPretrained } from '../../src/checkpoint/import/import-source.ts';
import { hfExportOf } from '../../src/checkpoint/hf-export.ts';
import { buildEncoder } from '../../src/models/registry.ts';
import { readSafetensors } from '../../src/checkpoint/safetensors.ts';
import { runCli } from '../cli/cli-helpers.ts';
import { fixture } from './import/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'hf-export-'));
const weightsOf = (run: string) => readSafetensors(join(run, 'checkpoints/step-000000000/weights.safetensors')).tensors;
const modelOf = (run: string) => JSON.parse(readFileSync(join(run, 'checkpoints/step-000000000/model.json'), 'utf8'));

test('export --format hf of an imported Hugging Face HuBERT gives back its model.safetensors tensor for tensor, bit for bit (names, PyTorch orientations)', async () => {
  await initBackend('cpu');
  const run = join(dir, 'hubert');
  importPretrained({ source: fixture('hubert-hf'), out: run });
  const out = join(dir, 'hubert-hf-out');
  const r = await runCli(['export', run, '--format', 'hf', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Hugging Face HubertModel \(model_type hubert, 2 layers of 16, post-LN\), 47 tensors/);
  const original = readSafetensors(fixture('hubert-hf/model.safetensors'));
  const exported = readSafetensors(join(out, 'model.safetensors'));
  assert.equal(exported.metadata.format, 'pt');
  assert.deepEqual([...exported.tensors.keys()].sort(), [...original.tensors.keys()].sort());
  for (const [name, t] of original.tensors) {
    const e = exported.tensors.get(name)!;
    assert.deepEqual(e.shape, t.shape, name);
    assert.deepEqual(Buffer.from(e.data.buffer), Buffer.from(t.data.buffer), name);
  }
  const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  const src = JSON.parse(readFileSync(fixture('hubert-hf/config.json'), 'utf8'));
  for (const k of ['hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size', 'conv_dim', 'conv_kernel', 'conv_stride', 'conv_bias', 'feat_extract_norm', 'do_stable_layer_norm', 'num_conv_pos_embeddings', 'num_conv_pos_embedding_groups']) {
    assert.deepEqual(cfg[k], src[k], k);
  }
});

test('import(export --format hf (RUN)) gives the same tensors bit for bit: fairseq wav2vec 2.0 (pre-LN, layer norm, conv bias, normalised input)', async () => {
  await initBackend('cpu');
  const run = join(dir, 'w2v');
  importPretrained({ source: fixture('wav2vec2-fairseq-ctc.pt'), out: run });
  const out = join(dir, 'w2v-hf');
  const r = await runCli(['export', run, '--format', 'hf', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(readFileSync(join(out, 'preprocessor_config.json'), 'utf8')).do_normalize, true);
  const back = join(dir, 'w2v-back');
  importPretrained({ source: out, out: back });
  const a = weightsOf(run);
  const b = weightsOf(back);
  assert.deepEqual([...b.keys()], [...a.keys()]);
  for (const [name, t] of a) assert.deepEqual(Buffer.from(b.get(name)!.data.buffer), Buffer.from(t.data.buffer), name);
  assert.deepEqual(modelOf(back).encoder, modelOf(run).encoder);
  assert.equal(JSON.parse(readFileSync(join(back, 'features.json'), 'utf8')).normalize, true);
});

test('export --format hf refuses what Hugging Face cannot hold, naming it', async () => {
  await initBackend('cpu');
  const logmel = buildEncoder({ kind: 'audio-transformer', preset: 'tiny', layers: 1, dim: 8, heads: 2, ffnDim: 8, inputDim: 4, convLayers: [{ channels: 8, kernel: 3, stride: 2, padding: 1 }] });
  assert.throws(() => hfExportOf(logmel, false, 'run'), /run: the Hugging Face layout cannot hold this encoder: its frontend is "logmel"/);
  const noNorm = buildEncoder({ kind: 'audio-transformer', preset: 'base', layers: 1, dim: 8, heads: 2, ffnDim: 8, convNorm: 'none', convLayers: [{ channels: 8, kernel: 10, stride: 5 }], posConv: { kernelSize: 4, groups: 2, weightNorm: true } });
  assert.throws(() => hfExportOf(noNorm, false, 'run'), /its conv stack has no norm/);
  const cpc = buildEncoder({ kind: 'cpc', convLayers: [{ channels: 8, kernel: 10, stride: 5, padding: 3 }], dim: 6, layers: 1, rnn: 'gru' });
  assert.throws(() => hfExportOf(cpc, false, 'run'), /it is a cpc encoder, not an audio transformer/);
  [logmel, noNorm, cpc].forEach((e) => e.dispose());
});
