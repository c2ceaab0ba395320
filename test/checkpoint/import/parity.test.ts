import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../../src/engine/backend.ts';
import { assembleEncoder } from '../../../src/checkpoint/import/import-plan.ts';
import { planHfImport } from '../../../src/checkpoint/import/hf.ts';
import { planFairseqImport } from '../../../src/checkpoint/import/fairseq.ts';
import { planS3prlImport } from '../../../src/checkpoint/import/s3prl.ts';
import { planTorchaudioImport } from '../../../src/checkpoint/import/torchaudio.ts';
import { readSafetensorsState } from '../../../src/checkpoint/import/state-files.ts';
import type { ImportPlan } from '../../../src/checkpoint/import/import-plan.ts';
import { planImport } from '../../../src/checkpoint/import/import-source.ts';
import { assertHiddenClose, encoderHidden, fixture, readJson, wave } from './fixtures.ts';

const noTorch = (file: string): never => {
  throw new Error(`unexpected torch file ${file}`);
};

function parity(plan: ImportPlan, model: 'hubert' | 'wav2vec2' | 'distil'): number {
  const { encoder } = assembleEncoder(plan);
  try {
    return assertHiddenClose(encoderHidden(encoder, wave()), model);
  } finally {
    encoder.dispose();
  }
}

test('Hugging Face HubertModel (safetensors, weight_g/weight_v): every hidden state within 1e-4 of torchaudio', async () => {
  await initBackend('wasm');
  const plan = planHfImport(fixture('hubert-hf'), noTorch);
  assert.equal(plan.config.normFirst, false);
  assert.equal(plan.config.convNorm, 'group0');
  assert.equal(plan.normalize, null);
  parity(plan, 'hubert');
});

test('Hugging Face Wav2Vec2ForCTC (sharded safetensors, parametrizations): pre-LN layer-norm wav2vec 2.0 within 1e-4; lm_head dropped; do_normalize read', async () => {
  await initBackend('wasm');
  const plan = planHfImport(fixture('wav2vec2-hf'), noTorch);
  assert.equal(plan.config.normFirst, true);
  assert.equal(plan.config.convNorm, 'layer');
  assert.equal(plan.config.convBias, true);
  assert.deepEqual([...plan.dropped], [['lm_head', 2]]);
  assert.deepEqual(plan.normalize, { eps: 1e-7 });
  parity(plan, 'wav2vec2');
});

test('fairseq HuBERT (cfg dict) and fine-tuned wav2vec 2.0 (args Namespace, w2v_encoder.w2v_model.): within 1e-4; heads dropped', async () => {
  await initBackend('wasm');
  const hubert = planFairseqImport({ cfg: readJson('hubert-fairseq.cfg.json'), model: readSafetensorsState(fixture('hubert-fairseq.safetensors')) }, 'hubert-fairseq');
  assert.deepEqual([...hubert.dropped].sort(), [['final_proj', 2], ['label_embs_concat', 1]]);
  assert.ok(hubert.tensors.has('mask_emb'));
  parity(hubert, 'hubert');
  const w2v = planFairseqImport({ ...(readJson('wav2vec2-fairseq-ctc.cfg.json') as object), model: readSafetensorsState(fixture('wav2vec2-fairseq-ctc.safetensors')) }, 'wav2vec2-fairseq-ctc');
  assert.deepEqual([...w2v.dropped], [['w2v_encoder.proj', 2]]);
  assert.deepEqual(w2v.normalize, { eps: 1e-5 });
  assert.equal(w2v.config.normFirst, true);
  parity(w2v, 'wav2vec2');
});

test('s3prl DistilHuBERT layout (no LayerNorm before the projection) and torchaudio state dicts: within 1e-4', async () => {
  await initBackend('wasm');
  const distil = planS3prlImport({ ...(readJson('distil-s3prl.cfg.json') as object), Distiller: readSafetensorsState(fixture('distil-s3prl.safetensors')) }, 'distil-s3prl');
  assert.equal(distil.config.featureNorm, false);
  assert.deepEqual([...distil.dropped], [['output_layer', 4]]);
  parity(distil, 'distil');
  const ta = planTorchaudioImport(readSafetensorsState(fixture('hubert-torchaudio.safetensors')), 'hubert-torchaudio', readJson('hubert-torchaudio.json'), 'hubert-torchaudio.json');
  assert.equal(ta.tensors.has('mask_emb'), false);
  parity(ta, 'hubert');
});

test('torch.save layouts through the importer\'s own detection: pytorch_model.bin, fairseq .pt (cfg dict; args Namespace), s3prl .ckpt, torchaudio .pt + --config: within 1e-4', async () => {
  await initBackend('wasm');
  const cases: Array<[Parameters<typeof planImport>[0], 'hubert' | 'wav2vec2' | 'distil', ImportPlan['format']]> = [
    [{ source: fixture('hubert-hf-bin') }, 'hubert', 'huggingface'],
    [{ source: fixture('hubert-fairseq.pt') }, 'hubert', 'fairseq'],
    [{ source: fixture('wav2vec2-fairseq-ctc.pt') }, 'wav2vec2', 'fairseq'],
    [{ source: fixture('distil-s3prl.ckpt') }, 'distil', 's3prl'],
    [{ source: fixture('hubert-torchaudio.pt'), config: fixture('hubert-torchaudio.json') }, 'hubert', 'torchaudio'],
    [{ source: fixture('wav2vec2-torchaudio.pt'), config: fixture('wav2vec2-torchaudio.json') }, 'wav2vec2', 'torchaudio'],
  ];
  for (const [opts, model, format] of cases) {
    const plan = planImport(opts);
    assert.equal(plan.format, format, opts.source);
    parity(plan, model);
  }
  const ctc = planImport({ source: fixture('wav2vec2-fairseq-ctc.pt') });
  assert.match(ctc.description, /fine-tuned.*args\.w2v_args/);
  assert.deepEqual(ctc.normalize, { eps: 1e-5 });
});
