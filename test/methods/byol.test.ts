import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useBackend } from '../train/fixtures/backend.ts';
import { FSDD_BINS, fsddSlice, registryBuilder, tinyTransformer } from './fixtures/fsdd-slice.ts';
import { ByolMethod, byolDefinition, type ByolConfig } from '../../src/methods/byol.ts';
import { ByolaAudioViews, BYOLA_VIEW_DEFAULTS, byolaAudioViewsDefinition } from '../../src/methods/views/byola-audio.ts';
import { METHODS } from '../../src/methods/registry.ts';
import { buildEncoder } from '../../src/models/registry.ts';
import { buildRun, resumeLatest } from '../../src/train/run.ts';
import { CheckpointStore } from '../../src/checkpoint/checkpoint.ts';
import { readSafetensors } from '../../src/checkpoint/safetensors.ts';
import { Fields } from '../../src/util/fields.ts';
import { Rng } from '../../src/util/rng.ts';
import type { SequenceBatch } from '../../src/data/sequence.ts';
import type { DataInfo } from '../../src/data/registry.ts';
import type { LossContext } from '../../src/methods/method.ts';
import type { MetricsRow } from '../../src/train/metrics-log.ts';

const D = FSDD_BINS;
const info: DataInfo = { kind: 'features', inputDims: D, isWaveform: false, labelSets: [], numTrain: 8, numValid: 0 };

function randomBatch(B: number, T: number, seed: number): SequenceBatch {
  const rng = new Rng(seed);
  const lengths = Array.from({ length: B }, (_, i) => T - 3 * i);
  const paddingMask = new Float32Array(B * T);
  lengths.forEach((n, b) => paddingMask.fill(1, b * T + n, (b + 1) * T));
  return {
    kind: 'sequence', shape: [B, T, D], inputs: rng.normalArray(B * T * D), lengths, paddingMask, labels: [],
    indices: lengths.map((_, i) => i), ids: lengths.map((_, i) => `u${i}`), offsets: lengths.map(() => 0),
  };
}

function readByol(raw: Record<string, unknown>): ByolConfig {
  return byolDefinition.readConfig(new Fields(raw, 'methods[0].config')) as ByolConfig;
}

function buildByol(raw: Record<string, unknown>, seed = 1): { method: ByolMethod; encoder: ReturnType<typeof buildEncoder> } {
  const encoder = buildEncoder({ ...tinyTransformer(1, 16), inputDim: D }, { seed });
  const method = byolDefinition.create(readByol(raw), { key: 'byol', encoder, data: info, layer: undefined, rng: new Rng(seed + 1), baseDir: '.' }) as ByolMethod;
  return { method, encoder };
}

function lossContext(method: ByolMethod, encoder: ByolMethod['targetEncoder'], seed: number, training = true): LossContext {
  const none = () => {
    throw new Error('byol reads its own views');
  };
  return { step: 0, totalSteps: 10, progress: 0, encoder, layer: undefined, rng: new Rng(seed), training, encoderInput: none, sharedForward: none, representation: none };
}

const small = { projectionDim: 8, hiddenDim: 16, views: { frames: 12, memorySize: 6 } };

test('byol-a views: two different views per item of the segment length, seeded; the memory fills in training only', async () => {
  await useBackend('cpu');
  const views = new ByolaAudioViews({ ...BYOLA_VIEW_DEFAULTS, frames: 10, memorySize: 5 }, D);
  const batch = randomBatch(3, 14, 1);
  const [a, b] = tf.tidy(() => views.views(batch, new Rng(4), false).map((v) => v.x.arraySync() as number[][][]));
  assert.deepEqual([a.length, a[0].length, a[0][0].length], [3, 10, D]);
  assert.notDeepEqual(a, b, 'the two views differ');
  assert.equal(views.memory.length, 0, 'validation leaves the memory alone');
  const again = tf.tidy(() => views.views(batch, new Rng(4), false)[0].x.arraySync());
  assert.deepEqual(again, a, 'same rng, same views');
  tf.tidy(() => {
    views.views(batch, new Rng(5), true);
  });
  assert.equal(views.memory.length, 3);
  // The memory holds the unaugmented segments: each is a window of its utterance's frames (the third,
  // 8 frames long, padded with its minimum).
  const item2 = batch.inputs.subarray(2 * 14 * D, 2 * 14 * D + 8 * D);
  assert.deepEqual(Array.from(views.memory.slot(2).subarray(0, 8 * D)), Array.from(item2));
  tf.tidy(() => {
    views.views(batch, new Rng(6), true);
  });
  assert.equal(views.memory.length, 5, 'capped at memorySize');
  // The buffer follows the memory after afterStep, and setState reads it back.
  views.afterStep();
  const buf = views.buffers('v.').get('v.memory')!;
  assert.deepEqual(Float32Array.from(buf.dataSync()), views.memory.data);
  const other = new ByolaAudioViews({ ...BYOLA_VIEW_DEFAULTS, frames: 10, memorySize: 5 }, D);
  other.buffers('v.').get('v.memory')!.assign(buf);
  other.setState(views.getState());
  assert.deepEqual(other.memory.data, views.memory.data);
  assert.deepEqual(other.memory.state, views.memory.state);
  assert.throws(() => byolaAudioViewsDefinition.create(BYOLA_VIEW_DEFAULTS, { ...info, isWaveform: true }), /views\.kind.*waveform/);
  views.dispose();
  other.dispose();
});

for (const backend of ['cpu', 'wasm'] as const) {
  test(`byol (${backend}): gradients reach every online parameter and none reach the EMA target; EMA update exact; tau schedule`, async () => {
    await useBackend(backend);
    const { method, encoder } = buildByol({ ...small, tauBase: 0.9 });
    const batch = randomBatch(4, 16, 2);
    const online = new Map([...encoder.trainableParameters('encoder.'), ...method.parameters()]);
    // The encoder's mask embedding is read only by masked-prediction methods, never by BYOL.
    const used = [...online].filter(([n]) => !n.endsWith('mask_emb'));
    const { grads } = tf.variableGrads(() => method.loss(batch, lossContext(method, encoder, 3)).loss, used.map(([, v]) => v));
    for (const [name, v] of used) {
      const g = grads[v.name];
      assert.ok(g && tf.norm(g).dataSync()[0] > 0, `gradient reaches ${name}`);
    }
    tf.dispose(grads);
    const buffers = method.buffers();
    const targets = [...buffers].filter(([n]) => n.startsWith('byol.target.'));
    assert.ok(targets.length === encoder.namedParameters().size + method.projector.namedParameters().size, 'target = encoder + projector');
    assert.ok(targets.every(([, v]) => !v.trainable), 'target variables are not trainable');
    const targetVars = targets.map(([, v]) => v);
    assert.throws(() => tf.variableGrads(() => method.loss(batch, lossContext(method, encoder, 3)).loss, targetVars), /none of the \d+ variables is trainable/);
    // Made trainable for a moment, the target still gets exactly zero gradient (stop-gradient).
    for (const v of targetVars) v.trainable = true;
    const { grads: tg } = tf.variableGrads(() => method.loss(batch, lossContext(method, encoder, 3)).loss, targetVars);
    for (const v of targetVars) v.trainable = false;
    // The target's mask embedding is off every path (no gradient at all); the rest get exactly zero.
    for (const [name, v] of targets) assert.ok(!tg[v.name] || tf.max(tf.abs(tg[v.name])).dataSync()[0] === 0, `no gradient into ${name}`);
    assert.equal(targets.filter(([, v]) => tg[v.name]).length, targets.length - 1);
    tf.dispose(tg);

    // tau on the cosine from tauBase 0.9 to 1 over 10 steps.
    assert.equal(method.tauAt({ step: 0, totalSteps: 10, progress: 0 }), 0.9);
    assert.ok(Math.abs(method.tauAt({ step: 5, totalSteps: 10, progress: 0.5 }) - 0.95) < 1e-12);
    assert.equal(method.tauAt({ step: 10, totalSteps: 10, progress: 1 }), 1);
    // EMA after update 5 of 10: xi <- 0.95 xi + 0.05 theta, exactly in float32, encoder and projector alike.
    const pairs = [
      [method.targetEncoder.namedParameters().get('post_extract_proj.weight')!, encoder.namedParameters().get('post_extract_proj.weight')!],
      [method.targetProjector.namedParameters().get('layers.1.bias')!, method.projector.namedParameters().get('layers.1.bias')!],
    ] as const;
    const rng = new Rng(7);
    const before = pairs.map(([t, o]) => {
      t.assign(tf.tensor(rng.normalArray(t.size), t.shape));
      o.assign(tf.tensor(rng.normalArray(o.size), o.shape));
      return [Float32Array.from(t.dataSync()), Float32Array.from(o.dataSync())] as const;
    });
    const tau = method.tauAt({ step: 5, totalSteps: 10, progress: 0.5 });
    method.afterStep({ step: 5, totalSteps: 10, progress: 0.5 });
    const f = Math.fround;
    pairs.forEach(([t], k) => {
      const [xi, theta] = before[k];
      const want = xi.map((x, i) => f(f(x * f(tau)) + f(theta[i] * f(1 - tau))));
      assert.deepEqual(Float32Array.from(t.dataSync()), want, `EMA of pair ${k}`);
    });
    method.dispose();
    encoder.dispose();
  });
}

test('byol: config errors name the field', () => {
  assert.throws(() => readByol({ views: { kind: 'image-crops' } }), /methods\[0\]\.config\.views\.kind.*unknown view generator "image-crops"/);
  assert.throws(() => readByol({ tauBase: 0.99, tauFinal: 0.9 }), /tauFinal: must be >= tauBase/);
  assert.throws(() => readByol({ projDim: 8 }), /methods\[0\]\.config\.projDim: unknown field/);
  assert.throws(() => readByol({ views: { frames: 0 } }), /views\.frames/);
  assert.throws(() => readByol({ views: { timeScale: [1.5, 0.6] } }), /views\.timeScale: expected \[lo, hi\]/);
  assert.throws(() => readByol({ pooling: 'sum' }), /pooling/);
  assert.throws(() => readByol({ norm: 'group' }), /methods\[0\]\.config\.norm/);
  const c = readByol({});
  assert.deepEqual({ ...c, views: undefined }, { projectionDim: 256, hiddenDim: 4096, tauBase: 0.99, tauFinal: 1, norm: 'batch', pooling: 'mean+max', views: undefined });
  assert.equal(readByol({ norm: 'layer' }).norm, 'layer');
  assert.equal(c.views.kind, 'byol-a');
  assert.equal(c.views.mixupRatio, 0.4);
});

function byolRunConfig(feats: string, train: Record<string, unknown>): Record<string, unknown> {
  return {
    seed: 11,
    encoder: tinyTransformer(1, 16),
    methods: [{ name: 'byol', config: { projectionDim: 16, hiddenDim: 32, tauBase: 0.99, pooling: 'mean', views: { frames: 24, memorySize: 16 } } }],
    data: { kind: 'features', train: { features: join(feats, 'train') }, valid: { features: join(feats, 'valid') }, batchSize: 8 },
    optim: { lr: 1e-3, weightDecay: 0 },
    schedule: { kind: 'constant' },
    train,
  };
}

function rows(out: string): MetricsRow[] {
  return readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as MetricsRow);
}

test('byol (wasm): trains on an FSDD slice through the Trainer; the loss goes down without collapse; tensors flat', async () => {
  await useBackend('wasm');
  const feats = await fsddSlice();
  const dir = mkdtempSync(join(tmpdir(), 'byol-'));
  const counts: number[] = [];
  const run = await buildRun(byolRunConfig(feats, { maxSteps: 20, logEvery: 5, validEvery: 0, checkpointEvery: 0 }), {
    baseDir: dir, outDir: join(dir, 'out'), deps: { buildEncoder: registryBuilder, methods: METHODS }, hooks: { afterUpdate: (s) => s >= 2 && counts.push(tf.memory().numTensors) },
  });
  const trainable = run.trainer.tensors.trainable;
  const buffers = run.trainer.tensors.buffers;
  assert.ok([...buffers.keys()].some((n) => n.startsWith('byol.target.encoder.')) && buffers.has('byol.views.memory'));
  assert.ok([...buffers.keys()].every((n) => !trainable.has(n)), 'no buffer is a trainable parameter');
  await run.trainer.run();
  const exported = run.trainer.optimizer.exportState();
  assert.ok([...exported.keys()].every((n) => !n.startsWith('byol.target') && !n.startsWith('byol.views')), 'the optimiser holds no state for buffers');
  for (const s of exported.values()) tf.dispose([s.expAvg, s.expAvgSq]);
  const train = rows(join(dir, 'out')).filter((r) => r.split === 'train');
  const loss = train.map((r) => r['byol/loss'] as number);
  const ratio = train.map((r) => r['byol/proj_std_ratio'] as number);
  assert.ok(loss.at(-1)! < loss[0] - 0.1, `loss goes down: ${loss.map((v) => v.toFixed(3))}`);
  // Healthy is about 1, collapsed 0. With the batch-norm heads (the default) measured 0.83 0.82 0.80 0.81;
  // the LayerNorm heads settled near 0.2-0.3 over 80 steps.
  assert.ok(ratio.every((r) => r > 0.6), `no collapse (proj_std * sqrt(d) stays above 0.6): ${ratio.map((v) => v.toFixed(2))}`);
  assert.ok(Math.abs((train[0]['byol/proj_std'] as number) * 4 - ratio[0]) < 1e-6, 'ratio = std * sqrt(16)');
  assert.ok((train.at(-1)!['byol/tau'] as number) > (train[0]['byol/tau'] as number), 'tau rises');
  assert.ok(counts.every((c) => c === counts[0]), `tensor count flat: ${counts.join(',')}`);
  run.dispose();
});

test('byol (wasm): a run resumed from a checkpoint ends bitwise equal to one that never stopped (EMA target and mixup memory included)', async () => {
  await useBackend('wasm');
  const feats = await fsddSlice();
  const dir = mkdtempSync(join(tmpdir(), 'byol-resume-'));
  const cfg = byolRunConfig(feats, { maxSteps: 6, logEvery: 1, validEvery: 0, checkpointEvery: 3, keepLast: 5 });
  const deps = { buildEncoder: registryBuilder, methods: METHODS };
  const a = await buildRun(cfg, { baseDir: dir, outDir: join(dir, 'a'), deps });
  await a.trainer.run();
  a.dispose();
  const storeA = new CheckpointStore(join(dir, 'a'));
  cpSync(storeA.pathOf(3), new CheckpointStore(join(dir, 'b')).pathOf(3), { recursive: true });
  const b = await buildRun(cfg, { baseDir: dir, outDir: join(dir, 'b'), deps });
  assert.ok(resumeLatest(b)?.endsWith('step-000000003'));
  await b.trainer.run();
  b.dispose();
  const wa = readSafetensors(join(storeA.pathOf(6), 'weights.safetensors')).tensors;
  const wb = readSafetensors(join(new CheckpointStore(join(dir, 'b')).pathOf(6), 'weights.safetensors')).tensors;
  assert.deepEqual([...wb.keys()].sort(), [...wa.keys()].sort());
  for (const [n, t] of wa) assert.deepEqual(wb.get(n)!.data, t.data, `tensor ${n}`);
  const memory = wa.get('byol.views.memory')!.data;
  assert.ok(memory.some((v) => v !== 0), 'the memory was filled and checkpointed');
  const target = wa.get('byol.target.encoder.post_extract_proj.weight')!.data;
  const online = wa.get('encoder.post_extract_proj.weight')!.data;
  assert.ok(target.some((v, i) => v !== online[i]), 'the target lags the online encoder');
  const stateA = JSON.parse(readFileSync(join(storeA.pathOf(6), 'trainer.json'), 'utf8')).methods;
  const stateB = JSON.parse(readFileSync(join(new CheckpointStore(join(dir, 'b')).pathOf(6), 'trainer.json'), 'utf8')).methods;
  assert.deepEqual(stateB, stateA);
  // 20 training utterances a epoch, 2 epochs in 6 batches: 40 segments entered a memory of 16 slots.
  assert.deepEqual(stateA.byol.views, { count: 16, next: 40 % 16 });
});
