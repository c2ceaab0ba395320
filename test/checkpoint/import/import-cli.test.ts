import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCheckpointFeaturizer } from '../../../src/features/checkpoint-featurizer.ts';
import { readSafetensors, writeSafetensors } from '../../../src/checkpoint/safetensors.ts';
import { loadCheckpoint } from '../../../src/checkpoint/checkpoint.ts';
import { readNpy } from '../../../src/util/npy.ts';
import { runCli } from '../../cli/cli-helpers.ts';
import { fixture, maxAbsDiff, referenceHidden, wave } from './fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'speech-ssl-import-'));

/** A copy of a fixture folder to spoil. */
function copyOf(name: string): string {
  const d = mkdtempSync(join(dir, `${name}-`));
  cpSync(fixture(name), d, { recursive: true });
  return d;
}

async function importFails(src: string, expect: RegExp, extra: string[] = []): Promise<void> {
  const out = join(dir, `out-${readdirSync(dir).length}`);
  const r = await runCli(['import', src, '--out', out, ...extra]);
  assert.equal(r.code, 2, `exit status 2 expected, got ${r.code}: ${r.stderr}`);
  assert.match(r.stderr, expect);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(existsSync(out), false, 'nothing written');
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.out-')), [], 'no temporary folder left');
}

test('speech-ssl import (Hugging Face wav2vec 2.0, do_normalize) -> extract: layer L is hidden_states[L], the waveform normalised as the model was trained', async () => {
  const out = join(dir, 'w2v');
  const r = await runCli(['import', fixture('wav2vec2-hf'), '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Hugging Face Wav2Vec2ForCTC \(model_type wav2vec2\)/);
  assert.match(r.stdout, /left out: lm_head \(2 tensors\)/);
  assert.match(r.stdout, /normalised per utterance \(eps 1e-7\)/);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'features.json'), 'utf8')), { features: 'waveform', sampleRate: 16000, normalize: true, normalizeEps: 1e-7 });
  const model = JSON.parse(readFileSync(join(out, 'checkpoints/step-000000000/model.json'), 'utf8'));
  assert.equal(model.encoder.normFirst, true);
  assert.equal(model.methods.length, 0);
  // A complete checkpoint of the kind train writes (what resume and --init-from read).
  const ckpt = loadCheckpoint(join(out, 'checkpoints/step-000000000'));
  assert.equal(ckpt.trainer.step, 0);
  assert.deepEqual([...ckpt.weights.keys()].sort(), Object.keys(model.tensors).sort());
  // The last layer (2) of a pre-LN model carries the final LayerNorm; on the normalised waveform.
  const f = await createCheckpointFeaturizer(out, { layer: '2', backend: 'wasm' });
  try {
    const m = await f.compute(wave(), { file: 'wave' } as never);
    const ref = readNpy(fixture('wav2vec2-hidden-normalized.npy'));
    assert.deepEqual([m.frames, m.dims], ref.shape);
    assert.ok(maxAbsDiff(m.data, ref.data as Float32Array) < 1e-4);
  } finally {
    await f.dispose?.();
  }
});

test('speech-ssl import (Hugging Face HuBERT) -> extract --layer 0 / 1 / 2 equal torchaudio hidden states 0 / 1 / 2', async () => {
  const out = join(dir, 'hubert');
  const r = await runCli(['import', fixture('hubert-hf'), '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /input: 16 kHz waveform, not normalised/);
  const ref = referenceHidden('hubert');
  const [, t, d] = ref.shape;
  for (const layer of [0, 1, 2]) {
    const f = await createCheckpointFeaturizer(out, { layer: String(layer), backend: 'wasm' });
    try {
      const m = await f.compute(wave(), { file: 'wave' } as never);
      assert.ok(maxAbsDiff(m.data, ref.data.subarray(layer * t * d, (layer + 1) * t * d)) < 1e-4, `layer ${layer}`);
    } finally {
      await f.dispose?.();
    }
  }
});

test('speech-ssl import: bad input is a clear error, exit 2, nothing written', async () => {
  const whisper = copyOf('hubert-hf');
  writeFileSync(join(whisper, 'config.json'), JSON.stringify({ model_type: 'whisper', architectures: ['WhisperModel'] }));
  await importFails(whisper, /config\.json: model_type: model type "whisper" is not one this importer reads \(known: hubert, wav2vec2\)/);

  const weights = (d: string) => join(d, 'model.safetensors');
  const missing = copyOf('hubert-hf');
  const t = readSafetensors(weights(missing)).tensors;
  t.delete('encoder.layers.1.feed_forward.intermediate_dense.weight');
  t.delete('encoder.layer_norm.bias');
  writeSafetensors(weights(missing), t);
  await importFails(missing, /missing tensors: "encoder\.layers\.1\.feed_forward\.intermediate_dense\.weight", "encoder\.layer_norm\.bias"/);

  const unexpected = copyOf('hubert-hf');
  const u = readSafetensors(weights(unexpected)).tensors;
  u.set('adapter.proj.weight', { shape: [2], data: new Float32Array(2) });
  writeSafetensors(weights(unexpected), u);
  await importFails(unexpected, /unexpected tensors \(not part of the encoder, nor a known head\): "adapter\.proj\.weight"/);

  const shape = copyOf('hubert-hf');
  const cfg = JSON.parse(readFileSync(join(shape, 'config.json'), 'utf8'));
  cfg.conv_kernel[0] = 9;
  writeFileSync(join(shape, 'config.json'), JSON.stringify(cfg));
  await importFails(shape, /tensor "feature_extractor\.conv_layers\.0\.conv\.weight" has shape \[12,1,10\], the model its config describes expects \[12,1,9\]/);

  const extraLayer = copyOf('hubert-hf');
  const cfg2 = JSON.parse(readFileSync(join(extraLayer, 'config.json'), 'utf8'));
  cfg2.num_hidden_layers = 1;
  writeFileSync(join(extraLayer, 'config.json'), JSON.stringify(cfg2));
  await importFails(extraLayer, /unexpected tensors \(the model its config describes has no such parameter\): "encoder\.layers\.1\./);

  const truncated = copyOf('hubert-hf');
  const bytes = readFileSync(weights(truncated));
  writeFileSync(weights(truncated), bytes.subarray(0, bytes.length - 100));
  await importFails(truncated, /model\.safetensors: tensor ".*": offsets .* do not fit|truncated/);

  const truncatedPt = join(dir, 'truncated.pt');
  const pt = readFileSync(fixture('hubert-fairseq.pt'));
  writeFileSync(truncatedPt, pt.subarray(0, Math.floor(pt.length / 2)));
  await importFails(truncatedPt, /truncated\.pt: /);
  const text = join(dir, 'notes.pt');
  writeFileSync(text, 'these are not weights\n');
  await importFails(text, /notes\.pt: not a PyTorch checkpoint/);
  await importFails(fixture('hostile-fairseq.pt'), /hostile-fairseq\.pt: .*posix\.system|hostile-fairseq\.pt: .*os\.system/);

  const noConfig = mkdtempSync(join(dir, 'empty-'));
  await importFails(noConfig, /no config\.json in it/);
  await importFails(join(dir, 'nope'), /no such file or folder/);
  await importFails(fixture('hubert-torchaudio.safetensors'), /pass --config JSON/);
  await importFails(fixture('hubert-torchaudio.safetensors'), /hubert-fairseq\.cfg\.json: extractor_mode: required \(an argument of torchaudio\.models\.wav2vec2_model\)/, ['--config', fixture('hubert-fairseq.cfg.json')]);
});

test('speech-ssl import refuses an existing, non-empty output folder', async () => {
  const out = mkdtempSync(join(dir, 'full-'));
  writeFileSync(join(out, 'keep.txt'), 'x');
  const r = await runCli(['import', fixture('hubert-hf'), '--out', out]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /exists and is not empty/);
  assert.deepEqual(readdirSync(out), ['keep.txt']);
});
