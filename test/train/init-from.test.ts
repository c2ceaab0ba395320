import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors } from '../../src/checkpoint/safetensors.ts';
import { encodeWav, testSignal } from '../helpers/audio-files.ts';
import { runCli } from '../cli/cli-helpers.ts';
import { repoRoot } from '../helpers/paths.ts';

const dir = mkdtempSync(join(tmpdir(), 'init-from-'));

test('train --init-from an imported HuBERT: the architecture comes from it (no encoder in the config) and training starts from its weights', async () => {
  const imported = join(dir, 'hubert');
  const r1 = await runCli(['import', join(repoRoot, 'test/fixtures/pretrained/hubert-fairseq.pt'), '--out', imported]);
  assert.equal(r1.code, 0, r1.stderr);
  const lines = [dir];
  for (let i = 0; i < 4; i++) {
    const n = 3200 + 400 * i;
    writeFileSync(join(dir, `u${i}.wav`), encodeWav({ sampleRate: 16000, channels: [testSignal(n, 16000, i + 1)], format: 'pcm16' }));
    lines.push(`u${i}.wav\t${n}`);
  }
  writeFileSync(join(dir, 'train.tsv'), lines.join('\n') + '\n');
  const config = {
    seed: 1,
    methods: [{ name: 'wav2vec2', config: { maskProb: 0.5, maskLength: 2, numNegatives: 4, groups: 2, entriesPerGroup: 8, codeDim: 8, finalDim: 8 } }],
    data: { kind: 'waveform', train: { manifest: join(dir, 'train.tsv') }, batchSize: 2, maxFrames: 3200, normalize: true, normalizeEps: 1e-7 },
    optim: { lr: 1e-9, weightDecay: 0 },
    schedule: { kind: 'constant' },
    train: { maxSteps: 1, logEvery: 1, validEvery: 0, checkpointEvery: 1 },
  };
  writeFileSync(join(dir, 'w2v.json'), JSON.stringify(config));
  const run = join(dir, 'run');
  const r2 = await runCli(['train', '--config', join(dir, 'w2v.json'), '--out', run, '--init-from', imported, '--backend', 'cpu', '--no-progress']);
  assert.equal(r2.code, 0, r2.stderr);
  assert.match(r2.stderr, /encoder initialised from .*hubert\/checkpoints\/step-000000000 \(step 0, \d+ tensors\)/);
  const saved = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
  const source = JSON.parse(readFileSync(join(imported, 'checkpoints/step-000000000/model.json'), 'utf8'));
  assert.deepEqual(saved.encoder, { kind: 'audio-transformer', ...source.encoder });
  // data.normalize: the run records it as an import does, so extract and export normalise as training did.
  assert.deepEqual(JSON.parse(readFileSync(join(run, 'features.json'), 'utf8')), { features: 'waveform', sampleRate: 16000, normalize: true, normalizeEps: 1e-7 });
  const before = readSafetensors(join(imported, 'checkpoints/step-000000000/weights.safetensors')).tensors;
  const after = readSafetensors(join(run, 'checkpoints/step-000000001/weights.safetensors')).tensors;
  let worst = 0;
  for (const [name, t] of before) {
    const a = after.get(name);
    assert.ok(a, name);
    for (let i = 0; i < t.data.length; i++) worst = Math.max(worst, Math.abs(a.data[i] - t.data[i]));
  }
  assert.ok(worst < 1e-6, `one update at lr 1e-9 moves the imported weights by ${worst}`);
});
