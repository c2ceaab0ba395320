import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useBackend } from '../train/fixtures/backend.ts';
import { FSDD_BINS, fsddSlice, registryBuilder, tinyTransformer } from './fixtures/fsdd-slice.ts';
import { DistillMethod, distillDefinition, type DistillConfig } from '../../src/methods/distill.ts';
import { initStudentFromTeacher } from '../../src/methods/student-init.ts';
import { METHODS } from '../../src/methods/registry.ts';
import { buildEncoder } from '../../src/models/registry.ts';
import type { Encoder } from '../../src/models/encoder.ts';
import { buildRun } from '../../src/train/run.ts';
import { CheckpointStore, resolveCheckpoint } from '../../src/checkpoint/checkpoint.ts';
import { readSafetensors } from '../../src/checkpoint/safetensors.ts';
import { toEncoderInput } from '../../src/methods/encoder-input.ts';
import { Fields } from '../../src/util/fields.ts';
import { Rng } from '../../src/util/rng.ts';
import type { DataInfo } from '../../src/data/registry.ts';
import type { SequenceBatch } from '../../src/data/sequence.ts';
import type { LossContext } from '../../src/methods/method.ts';
import type { MetricsRow } from '../../src/train/metrics-log.ts';

const D = FSDD_BINS;
const info: DataInfo = { kind: 'features', inputDims: D, isWaveform: false, labelSets: [], numTrain: 8, numValid: 0 };
const deps = { buildEncoder: registryBuilder, methods: METHODS };

let work = '';
let feats = '';

/** A teacher trained for a few steps (BYOL on the FSDD slice, 3 layers of 16), checkpointed like any run. */
before(async () => {
  await useBackend('wasm');
  feats = await fsddSlice();
  work = mkdtempSync(join(tmpdir(), 'distill-'));
  const run = await buildRun(
    {
      seed: 5,
      encoder: tinyTransformer(3, 16),
      methods: [{ name: 'byol', config: { projectionDim: 8, hiddenDim: 16, views: { frames: 24, memorySize: 8 } } }],
      data: { kind: 'features', train: { features: join(feats, 'train') }, batchSize: 8 },
      optim: { lr: 3e-3 },
      train: { maxSteps: 3, logEvery: 3, validEvery: 0, checkpointEvery: 3 },
    },
    { baseDir: work, outDir: join(work, 'exp', 'teacher'), deps },
  );
  await run.trainer.run();
  run.dispose();
});

function readDistill(raw: Record<string, unknown>): DistillConfig {
  return distillDefinition.readConfig(new Fields(raw, 'methods[0].config')) as DistillConfig;
}

async function create(raw: Record<string, unknown>, student: Encoder): Promise<DistillMethod> {
  return (await distillDefinition.create(readDistill(raw), { key: 'distill', encoder: student, data: info, layer: undefined, rng: new Rng(3), baseDir: work })) as DistillMethod;
}

function batchOf(B: number, T: number, seed: number): SequenceBatch {
  const rng = new Rng(seed);
  const lengths = Array.from({ length: B }, (_, i) => T - 4 * i);
  const paddingMask = new Float32Array(B * T);
  lengths.forEach((n, b) => paddingMask.fill(1, b * T + n, (b + 1) * T));
  return { kind: 'sequence', shape: [B, T, D], inputs: rng.normalArray(B * T * D), lengths, paddingMask, labels: [], indices: [0, 1, 2], ids: ['a', 'b', 'c'], offsets: [0, 0, 0] };
}

function contextFor(batch: SequenceBatch, encoder: Encoder): LossContext {
  const input = toEncoderInput(batch);
  let shared: ReturnType<Encoder['forward']> | undefined;
  const sharedForward = () => (shared ??= encoder.forward(input.x, { paddingMask: input.paddingMask }));
  return { step: 0, totalSteps: 1, progress: 0, encoder, layer: undefined, rng: new Rng(1), training: true, encoderInput: () => input, sharedForward, representation: () => sharedForward().output };
}

test('distill: config errors name the field and the file', async () => {
  assert.throws(() => readDistill({}), /methods\[0\]\.config\.teacher: required/);
  assert.throws(() => readDistill({ teacher: 'x', teacherLayers: [2, 2] }), /teacherLayers: layers must differ/);
  assert.throws(() => readDistill({ teacher: 'x', layers: [1] }), /methods\[0\]\.config\.layers: unknown field/);
  assert.throws(() => readDistill({ teacher: 'x', initFromTeacher: [0] }), /initFromTeacher\[0\]/);
  const student = buildEncoder({ ...tinyTransformer(2, 16), inputDim: D }, { seed: 1 });
  await assert.rejects(create({ teacher: 'exp/missing/checkpoints' }, student), (e: Error) => e.message.includes(join(work, 'exp/missing/checkpoints')) && /distill\.config\.teacher: teacher checkpoint not found/.test(e.message));
  await assert.rejects(create({ teacher: 'exp/teacher/checkpoints', teacherLayers: [4] }, student), /distill\.config\.teacherLayers: teacher layer 4 asked.*layers 1\.\.3/);
  await assert.rejects(create({ teacher: 'exp/teacher/checkpoints', initFromTeacher: [1] }, student), /distill\.config\.initFromTeacher: 1 teacher layer\(s\) given for 2 student layer\(s\)/);
  const wide = buildEncoder({ ...tinyTransformer(2, 32), inputDim: D }, { seed: 1 });
  await assert.rejects(create({ teacher: 'exp/teacher/checkpoints', initFromTeacher: [1, 2] }, wide), /distill\.config\.initFromTeacher: student parameter "[^"]+" is \[[\d,]*32[\d,]*\], teacher "[^"]+" is \[[\d,]*16[\d,]*\]/);
  const fast = buildEncoder({ ...tinyTransformer(2, 16), convLayers: [{ channels: 16, kernel: 3, stride: 1, padding: 1 }], inputDim: D }, { seed: 1 });
  await assert.rejects(create({ teacher: 'exp/teacher/checkpoints' }, fast), /frame rates must match/);
  for (const e of [student, wide, fast]) e.dispose();
});

test('distill: student layers start as the chosen teacher layers; the frontend is copied; the teacher is frozen', async () => {
  const student = buildEncoder({ ...tinyTransformer(2, 16), inputDim: D }, { seed: 1 });
  const method = await create({ teacher: 'exp/teacher/checkpoints', initFromTeacher: [1, 3] }, student);
  const t = method.teacher.namedParameters();
  const s = student.namedParameters();
  const same = (a: string, b: string) => assert.deepEqual(s.get(a)!.dataSync(), t.get(b)!.dataSync(), `${a} = teacher ${b}`);
  same('encoder.layers.0.fc1.weight', 'encoder.layers.0.fc1.weight');
  same('encoder.layers.1.fc1.weight', 'encoder.layers.2.fc1.weight');
  same('encoder.layers.1.self_attn.q_proj.bias', 'encoder.layers.2.self_attn.q_proj.bias');
  same('subsampler.conv_layers.0.0.weight', 'subsampler.conv_layers.0.0.weight');
  same('encoder.layer_norm.weight', 'encoder.layer_norm.weight');
  // The teacher's weights are the checkpoint's encoder tensors.
  const saved = readSafetensors(join(resolveCheckpoint(join(work, 'exp/teacher/checkpoints')), 'weights.safetensors')).tensors;
  assert.deepEqual(Float32Array.from(t.get('encoder.layers.1.fc2.weight')!.dataSync()), saved.get('encoder.encoder.layers.1.fc2.weight')!.data);
  assert.ok([...t.values()].every((v) => !v.trainable) && method.teacher.training === false);
  assert.equal(method.buffers().size, t.size);
  assert.ok([...method.buffers().keys()].every((n) => n.startsWith('distill.teacher.')));
  assert.deepEqual([...method.parameters().keys()].sort(), ['distill.heads.3.bias', 'distill.heads.3.weight'], 'plain distillation: one head on the last teacher layer');
  assert.throws(() => initStudentFromTeacher(student, method.teacher, [1, 7]), /teacher layer 7 does not exist/);
  method.dispose();
  student.dispose();
});

for (const backend of ['cpu', 'wasm'] as const) {
  test(`distill (${backend}): gradients reach every student parameter and head, none reach the teacher`, async () => {
    await useBackend(backend);
    const student = buildEncoder({ ...tinyTransformer(1, 16), inputDim: D }, { seed: 2 });
    const method = await create({ teacher: 'exp/teacher/checkpoints', teacherLayers: [1, 3] }, student);
    const batch = batchOf(3, 20, 4);
    const used = [...student.trainableParameters('encoder.'), ...method.parameters()].filter(([n]) => !n.endsWith('mask_emb'));
    const { grads } = tf.variableGrads(() => method.loss(batch, contextFor(batch, student)).loss, used.map(([, v]) => v));
    for (const [name, v] of used) assert.ok(grads[v.name] && tf.norm(grads[v.name]).dataSync()[0] > 0, `gradient reaches ${name}`);
    tf.dispose(grads);
    const teacherVars = [...method.buffers().values()];
    assert.throws(() => tf.variableGrads(() => method.loss(batch, contextFor(batch, student)).loss, teacherVars), /none of the \d+ variables is trainable/);
    for (const v of teacherVars) v.trainable = true;
    const { grads: tg } = tf.variableGrads(() => method.loss(batch, contextFor(batch, student)).loss, teacherVars);
    for (const v of teacherVars) v.trainable = false;
    // Teacher variables off the path to the targets (later layers, final norm) get none at all.
    for (const v of teacherVars) assert.ok(!tg[v.name] || tf.max(tf.abs(tg[v.name])).dataSync()[0] === 0, `no gradient into ${v.name}`);
    assert.ok(teacherVars.some((v) => tg[v.name]), "the teacher's layers are on the path (their gradient is zero, not absent)");
    tf.dispose(tg);
    const out = tf.tidy(() => {
      const r = method.loss(batch, contextFor(batch, student));
      return { loss: r.loss.dataSync()[0], metrics: r.metrics! };
    });
    assert.ok(Math.abs(out.loss - ((out.metrics.loss_1 as number) + (out.metrics.loss_3 as number))) < 1e-5, 'total = sum over predicted layers');
    for (const k of ['l1_1', 'cos_1', 'l1_3', 'cos_3']) assert.equal(typeof out.metrics[k], 'number', k);
    method.dispose();
    student.dispose();
  });
}

test('distill (wasm): DistilHuBERT-style run through the Trainer on an FSDD slice: loss goes down, the teacher is unchanged', async () => {
  await useBackend('wasm');
  const out = join(work, 'exp', 'student');
  const counts: number[] = [];
  const run = await buildRun(
    {
      seed: 9,
      encoder: tinyTransformer(2, 16),
      methods: [{ name: 'distill', config: { teacher: 'exp/teacher/checkpoints', teacherLayers: [1, 2, 3], initFromTeacher: [1, 2] } }],
      data: { kind: 'features', train: { features: join(feats, 'train') }, valid: { features: join(feats, 'valid') }, batchSize: 8, maxFrames: 48 },
      optim: { lr: 5e-3, weightDecay: 0 },
      schedule: { kind: 'constant' },
      train: { maxSteps: 16, logEvery: 4, validEvery: 16, checkpointEvery: 16 },
    },
    { baseDir: work, outDir: out, deps, hooks: { afterUpdate: (s) => s >= 2 && counts.push(tf.memory().numTensors) } },
  );
  await run.trainer.run();
  assert.ok(counts.every((c) => c === counts[0]), `tensor count flat: ${counts.join(',')}`);
  const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as MetricsRow);
  const train = rows.filter((r) => r.split === 'train');
  const loss = train.map((r) => r['distill/loss'] as number);
  assert.ok(loss.at(-1)! < 0.8 * loss[0], `loss goes down: ${loss.map((v) => v.toFixed(3))}`);
  const cos = train.map((r) => r['distill/cos_3'] as number);
  assert.ok(cos.at(-1)! > cos[0], `cosine to the last teacher layer rises: ${cos.map((v) => v.toFixed(3))}`);
  assert.equal(typeof rows.find((r) => r.split === 'valid')?.['valid/distill/loss'], 'number');
  const teacher = readSafetensors(join(resolveCheckpoint(join(work, 'exp/teacher/checkpoints')), 'weights.safetensors')).tensors;
  const student = readSafetensors(join(new CheckpointStore(out).pathOf(16), 'weights.safetensors')).tensors;
  let compared = 0;
  for (const [n, t] of teacher) {
    if (!n.startsWith('encoder.')) continue;
    assert.deepEqual(student.get(`distill.teacher.${n.slice('encoder.'.length)}`)!.data, t.data, `teacher tensor ${n} unchanged`);
    compared++;
  }
  assert.ok(compared > 20);
  run.dispose();
});
