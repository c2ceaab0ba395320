import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useBackend } from '../train/fixtures/backend.ts';
import { writeTinyShard } from '../train/fixtures/tiny.ts';
import { ContextEncoder, buildContextEncoder } from './fixtures/context-encoder.ts';
import { METHODS } from '../../src/methods/registry.ts';
import { HubertMethod, frameLabels, hubertDefinition, inputFramesPerEncoderFrame, HUBERT_DEFAULTS } from '../../src/methods/hubert.ts';
import { buildRun } from '../../src/train/run.ts';
import { readNpy } from '../../src/util/npy.ts';
import { Rng } from '../../src/util/rng.ts';
import type { SequenceBatch } from '../../src/data/sequence.ts';
import type { LossContext } from '../../src/methods/method.ts';
import type { MetricsRow } from '../../src/train/metrics-log.ts';
import type { DataInfo } from '../../src/data/registry.ts';

/** Quadrant of the first two feature columns: a frame label a model can infer from its neighbours. */
function writeQuadrantLabels(shardNpy: string, km: string): void {
  const { data, shape } = readNpy(shardNpy);
  const lens = readFileSync(shardNpy.replace(/\.npy$/, '.len'), 'utf8').trim().split('\n').map(Number);
  const D = shape[1];
  const lines: string[] = [];
  let row = 0;
  for (const n of lens) {
    const ids: number[] = [];
    for (let t = 0; t < n; t++, row++) ids.push((data[row * D] > 0 ? 1 : 0) + (data[row * D + 1] > 0 ? 2 : 0));
    lines.push(ids.join(' '));
  }
  writeFileSync(km, lines.join('\n') + '\n');
}

function batchOf(labels: number[][], T: number, dims: number): SequenceBatch {
  const B = labels.length;
  const L = Math.max(...labels.map((l) => l.length));
  const data = new Int32Array(B * L).fill(-1);
  labels.forEach((l, b) => data.set(l, b * L));
  return {
    kind: 'sequence',
    shape: [B, T, dims],
    inputs: new Float32Array(B * T * dims),
    lengths: labels.map(() => T),
    paddingMask: new Float32Array(B * T),
    labels: [{ shape: [B, L], data, lengths: labels.map((l) => l.length) }],
    indices: labels.map((_, i) => i),
    ids: labels.map((_, i) => `u${i}`),
    offsets: labels.map(() => 0),
  };
}

test('hubert: labels at 100 Hz on a stride-2 encoder keep every second label; 50 Hz labels map one to one', () => {
  const batch = batchOf([[10, 11, 12, 13, 14, 15], [20, 21, 22, 23]], 6, 1);
  // 100 Hz labels (one per input frame), encoder at 50 Hz: frames 0..2 read labels 0, 2, 4.
  assert.deepEqual(Array.from(frameLabels(batch, 0, 1, 2, [3, 2], 3)), [10, 12, 14, 20, 22, -1]);
  // 50 Hz labels (one per two input frames) on the same encoder: identity, padding stays -1.
  const half = batchOf([[5, 6, 7], [8, 9]], 6, 1);
  assert.deepEqual(Array.from(frameLabels(half, 0, 0.5, 2, [3, 2], 3)), [5, 6, 7, 8, 9, -1]);
  // More encoder frames than labels cover: the extra frames get no label.
  assert.deepEqual(Array.from(frameLabels(batchOf([[1, 2, 3]], 4, 1), 0, 1, 1, [4], 4)), [1, 2, 3, -1]);
  assert.throws(() => frameLabels(batch, 1, 1, 2, [3, 2], 3), /labelSet 1/);
});

test('hubert: encoder stride comes from its length rule', () => {
  assert.equal(inputFramesPerEncoderFrame({ outputLength: (n: number) => Math.floor((n - 1) / 2) + 1 } as never), 2);
  assert.equal(inputFramesPerEncoderFrame({ outputLength: (n: number) => n } as never), 1);
  assert.equal(inputFramesPerEncoderFrame({ outputLength: (n: number) => Math.floor((n - 400) / 320) + 1 } as never), 320);
});

const info = (numClasses: number): DataInfo => ({
  kind: 'features', inputDims: 3, isWaveform: false, labelSets: [{ file: 'x.km', perFrame: 1, numClasses }], numTrain: 1, numValid: 0,
});

test('hubert: config errors name the problem (no labels, empty dictionary, unknown field)', async () => {
  await useBackend('cpu');
  const encoder = new ContextEncoder({ dim: 8, layers: 1, inputDims: 3 }, 1);
  const ctx = { key: 'hubert', encoder, layer: undefined, rng: new Rng(1), baseDir: '.' };
  assert.throws(() => hubertDefinition.create(HUBERT_DEFAULTS, { ...ctx, data: { ...info(4), labelSets: [] } }), /needs frame labels/);
  assert.throws(() => hubertDefinition.create(HUBERT_DEFAULTS, { ...ctx, data: info(1) }), /1 class/);
  assert.throws(() => hubertDefinition.create({ ...HUBERT_DEFAULTS, labelSet: 2 }, { ...ctx, data: info(4) }), /labelSet 2/);
  const { Fields } = await import('../../src/util/fields.ts');
  assert.throws(() => hubertDefinition.readConfig(new Fields({ maskprob: 0.5 }, 'methods[0].config')), /maskprob/);
  assert.throws(() => hubertDefinition.readConfig(new Fields({ maskProb: 2 }, 'methods[0].config')), /maskProb/);
  encoder.dispose();
});

for (const backend of ['cpu', 'wasm'] as const) {
  test(`hubert (${backend}): masks go through the encoder's mask embedding; unmasked frames do not count at weight 0`, async () => {
    await useBackend(backend);
    const encoder = new ContextEncoder({ dim: 8, layers: 1, inputDims: 3 }, 3);
    const method = hubertDefinition.create({ ...HUBERT_DEFAULTS, maskProb: 0.5, maskLength: 2, finalDim: 6, featurePenalty: 0 }, { key: 'hubert', encoder, data: info(4), layer: undefined, rng: new Rng(2), baseDir: '.' }) as HubertMethod;
    const rng = new Rng(5);
    const B = 2, T = 12;
    const batch = batchOf([Array.from({ length: T }, (_, t) => t % 4), Array.from({ length: T }, (_, t) => (t + 1) % 4)], T, 3);
    batch.inputs.set(rng.normalArray(B * T * 3));
    const ctxFor = (seed: number): LossContext => {
      const input = { x: tf.tensor3d(batch.inputs, [B, T, 3]), paddingMask: tf.tensor2d(batch.paddingMask, [B, T]) };
      return {
        step: 0, totalSteps: 1, progress: 0, encoder, layer: undefined, rng: new Rng(seed), training: true,
        encoderInput: () => input,
        sharedForward: () => encoder.forward(input.x, input),
        representation: () => encoder.forward(input.x, input).output,
      };
    };
    // The loss depends on the mask embedding (masked frames read it) ...
    const maskEmb = encoder.namedParameters().get('mask_emb')!;
    const { grads } = tf.variableGrads(() => method.loss(batch, ctxFor(9)).loss, [maskEmb]);
    assert.ok(tf.norm(Object.values(grads)[0]).dataSync()[0] > 0, 'gradient reaches the mask embedding');
    tf.dispose(grads);
    // ... and a run with the same seed gives the same loss and a masked share near the span statistics.
    const out1 = tf.tidy(() => method.loss(batch, ctxFor(9)).loss.dataSync()[0]);
    const res = method.loss(batch, ctxFor(9));
    assert.equal(res.loss.dataSync()[0], out1);
    const frac = res.metrics!.mask_frac as number;
    assert.ok(frac > 0.2 && frac < 0.8, `masked share ${frac}`);
    // Relabelling only the unmasked frames leaves the loss unchanged (weight 0), relabelling a masked one changes it.
    const masked = new Set<number>();
    const before = res.loss.dataSync()[0];
    for (let i = 0; i < B * T; i++) {
      const b2 = batchOf([[...batch.labels[0].data.subarray(0, T)], [...batch.labels[0].data.subarray(T, 2 * T)]], T, 3);
      b2.inputs.set(batch.inputs);
      b2.labels[0].data[i] = (b2.labels[0].data[i] + 1) % 4;
      const v = tf.tidy(() => method.loss(b2, ctxFor(9)).loss.dataSync()[0]);
      if (Math.abs(v - before) > 1e-6) masked.add(i);
    }
    assert.ok(masked.size > 0 && masked.size < B * T, `${masked.size} of ${B * T} frames affect the loss`);
    assert.equal(masked.size / (B * T), frac, 'exactly the masked frames count');
    tf.dispose(res.loss);
    method.dispose();
    encoder.dispose();
  });

  test(`hubert (${backend}): a tiny end-to-end run through the Trainer, masked accuracy rises, tensors flat`, async () => {
    await useBackend(backend);
    const dir = mkdtempSync(join(tmpdir(), 'hubert-'));
    const feats = join(dir, 'feats');
    const trainNpy = writeTinyShard(feats, 'train', 32, 3, 11);
    const validNpy = writeTinyShard(feats, 'valid', 8, 3, 12);
    writeQuadrantLabels(trainNpy, join(dir, 'train.km'));
    writeQuadrantLabels(validNpy, join(dir, 'valid.km'));
    const counts: number[] = [];
    const run = await buildRun(
      {
        seed: 3,
        encoder: { kind: 'context', dim: 16, layers: 2 },
        methods: [{ name: 'hubert', config: { maskProb: 0.4, maskLength: 2, finalDim: 8 } }],
        data: { kind: 'features', train: { features: join(feats, 'train'), labels: [join(dir, 'train.km')] }, valid: { features: join(feats, 'valid'), labels: [join(dir, 'valid.km')] }, batchSize: 8 },
        optim: { lr: 0.02 },
        schedule: { kind: 'constant' },
        train: { maxSteps: 60, logEvery: 10, validEvery: 30 },
      },
      { baseDir: dir, outDir: join(dir, 'out'), deps: { buildEncoder: buildContextEncoder, methods: METHODS }, hooks: { afterUpdate: (s) => s >= 2 && counts.push(tf.memory().numTensors) } },
    );
    await run.trainer.run();
    const rows = readFileSync(join(dir, 'out', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as MetricsRow);
    const train = rows.filter((r) => r.split === 'train');
    const first = train[0]['hubert/acc_masked'] as number;
    const last = train.at(-1)!['hubert/acc_masked'] as number;
    assert.ok(last > first + 0.2 && last > 0.6, `masked accuracy rises: ${train.map((r) => (r['hubert/acc_masked'] as number).toFixed(2))}`);
    const valid = rows.filter((r) => r.split === 'valid');
    assert.ok((valid.at(-1)!['valid/hubert/acc_masked'] as number) > 0.5, JSON.stringify(valid.at(-1)));
    for (const k of ['hubert/acc_unmasked', 'hubert/feature_pen', 'hubert/mask_frac']) assert.equal(typeof train[0][k], 'number', k);
    assert.ok(counts.every((c) => c === counts[0]), `tensor count flat: ${counts.join(',')}`);
    run.dispose();
  });
}
