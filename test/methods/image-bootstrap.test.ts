import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.ts';
import { buildRun, resumeLatest } from '../../src/train/run.ts';
import { CheckpointStore } from '../../src/checkpoint/checkpoint.ts';
import { readSafetensors } from '../../src/checkpoint/safetensors.ts';
import { buildEncoder } from '../../src/models/registry.ts';
import type { Encoder } from '../../src/models/encoder.ts';
import type { MetricsRow } from '../../src/train/metrics-log.ts';
import type { ImageTrainBatch } from '../../src/data/image-batch.ts';
import { byolDefinition, type ByolMethod } from '../../src/methods/byol.ts';
import { distillDefinition, type DistillMethod } from '../../src/methods/distill.ts';
import { byolImageViewsDefinition } from '../../src/methods/views/byol-image.ts';
import type { Method } from '../../src/methods/method.ts';
import { Fields } from '../../src/util/fields.ts';
import { Rng } from '../../src/util/rng.ts';
import { DIGITS_CSV, TINY_RESNET, TINY_VIT, digitsData, lossContext, tinyEncoder, trainables, zeroGradients } from './image-setup.ts';

/**
 * BYOL and distillation on images: the same method classes as for audio, with the image view sampler
 * (views.kind byol-image) and an image teacher. Teachers are trained here for a few steps on the digits.
 */
const DATA = { kind: 'image', source: 'digits-csv', path: DIGITS_CSV, maxTrain: 200, batchSize: 16 };
const deps = { buildEncoder: (c: Record<string, unknown>, ctx: { seed: number }) => buildEncoder(c, { seed: ctx.seed }) };
const SMALL_BYOL = { projectionDim: 16, hiddenDim: 32, views: { kind: 'byol-image', preset: 'digits' } };
/** A narrower ResNet than TINY_RESNET with the same strides (2x2 tokens of 8 instead of 16). */
const STUDENT_RESNET = { kind: 'resnet', preset: 'digits', stemWidth: 4, widths: [4, 8], groups: 2 };

let work = '';

async function firstBatch() {
  const data = digitsData(60, 6);
  return { data, batch: await data.train.next() };
}

async function train(dir: string, encoder: Record<string, unknown>, method: { name: string; config: Record<string, unknown> }, steps: number, lr: number) {
  const counts: number[] = [];
  const run = await buildRun(
    { seed: 2, encoder, methods: [method], data: DATA, optim: { lr }, schedule: { kind: 'constant' }, train: { maxSteps: steps, logEvery: 2, checkpointEvery: steps } },
    { baseDir: work, outDir: join(work, dir), deps, hooks: { afterUpdate: (s) => s >= 2 && counts.push(tf.memory().numTensors) } },
  );
  return { run, counts };
}

function losses(dir: string, key: string): number[] {
  const rows = readFileSync(join(work, dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as MetricsRow);
  return rows.filter((r) => r.split === 'train').map((r) => r[key] as number);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function buildWith(def: typeof byolDefinition | typeof distillDefinition, raw: Record<string, unknown>, encoder: Encoder, seed = 5): Promise<Method> {
  const { data } = await firstBatch();
  const cfg = def.readConfig(new Fields(raw, 'methods[0].config'));
  return (def.create as (c: unknown, ctx: unknown) => Method | Promise<Method>)(cfg, { key: 'm', encoder, data: data.info, layer: undefined, rng: new Rng(seed), baseDir: work });
}

/** Teachers: a TINY_RESNET after rotation and a two-block TINY_VIT after masked-patch, a few steps each. */
before(async () => {
  await initBackend('wasm');
  work = mkdtempSync(join(tmpdir(), 'image-bootstrap-'));
  for (const [dir, encoder, method] of [
    ['teacher-resnet', TINY_RESNET, { name: 'rotation', config: { flipProb: 0 } }],
    ['teacher-vit', { ...TINY_VIT, depth: 2 }, { name: 'masked-patch', config: { k: 8, fitImages: 40 } }],
  ] as const) {
    const { run } = await train(dir, encoder, method, 3, 3e-3);
    await run.trainer.run();
    run.dispose();
  }
});

test('byol-image views: two different views per image, NHWC of the data side, the same for the same seed', async () => {
  const { data, batch } = await firstBatch();
  const views = byolImageViewsDefinition.create(byolImageViewsDefinition.readConfig(new Fields({ preset: 'digits' }, 'v')), data.info);
  const draw = (seed: number) => tf.tidy(() => views.views(batch, new Rng(seed), true).map((v) => Float32Array.from(v.x.dataSync())));
  const shape = tf.tidy(() => views.views(batch, new Rng(1), true)[0].x.shape);
  assert.deepEqual(shape, [6, 8, 8, 1]);
  const [a1, a2] = draw(11);
  const [b1, b2] = draw(11);
  const [c1] = draw(12);
  assert.deepEqual(a1, b1);
  assert.deepEqual(a2, b2);
  assert.notDeepEqual(a1, a2, 'the two views differ');
  assert.notDeepEqual(a1, c1, 'another seed, other views');
  assert.throws(() => byolImageViewsDefinition.readConfig(new Fields({ preset: 'simclr', kind: 'byol-image' }, 'm.views')), /m\.views\.preset: expected one of/);
  views.dispose();
});

test('byol on images: gradients reach every online parameter, none the EMA target; image data refuses byol-a views', async () => {
  const { batch } = await firstBatch();
  const encoder = tinyEncoder(TINY_RESNET);
  const m = (await buildWith(byolDefinition, SMALL_BYOL, encoder)) as ByolMethod;
  assert.deepEqual(zeroGradients(encoder, m, batch), []);
  const targets = [...m.buffers()].filter(([n]) => n.startsWith('m.target.'));
  assert.equal(targets.length, encoder.namedParameters().size + m.projector.namedParameters().size);
  assert.ok(targets.every(([, v]) => !v.trainable));
  for (const [, v] of targets) v.trainable = true;
  const { value, grads } = tf.variableGrads(() => m.loss(batch, lossContext(encoder, batch, 1)).loss, targets.map(([, v]) => v));
  for (const [, v] of targets) v.trainable = false;
  for (const [name, v] of targets) assert.ok(!grads[v.name] || tf.tidy(() => tf.max(tf.abs(grads[v.name])).dataSync()[0]) === 0, `no gradient into ${name}`);
  tf.dispose([value, ...Object.values(grads)]);
  await assert.rejects(buildWith(byolDefinition, { views: { kind: 'byol-a' } }, encoder), /m\.config\.views\.kind.*set views\.kind: byol-image/);
  const rgb = tinyEncoder({ ...TINY_RESNET, inChannels: 3 });
  await assert.rejects(buildWith(byolDefinition, SMALL_BYOL, rgb), /takes 3 channel\(s\), the images have 1/);
  for (const x of [m, encoder, rgb]) x.dispose();
});

test('byol batch-norm heads: running statistics are buffers, moved by the online training forwards and by the EMA alone in the target; norm layer builds LayerNorm heads', async () => {
  const { batch } = await firstBatch();
  const encoder = tinyEncoder(TINY_RESNET);
  const m = (await buildWith(byolDefinition, SMALL_BYOL, encoder)) as ByolMethod;
  const stats = ['m.projector.norms.0.running_mean', 'm.projector.norms.0.running_var', 'm.predictor.norms.0.running_mean', 'm.predictor.norms.0.running_var'];
  const buffers = m.buffers();
  for (const n of stats) assert.ok(buffers.has(n) && !m.parameters().has(n), `${n} is a buffer, not a parameter`);
  assert.ok(buffers.has('m.target.projector.norms.0.running_mean'));
  assert.ok([...m.parameters().values()].every((v) => v.trainable));
  const read = (n: string) => Float32Array.from(buffers.get(n)!.dataSync());
  const onlineBefore = read('m.projector.norms.0.running_mean');
  const targetBefore = read('m.target.projector.norms.0.running_mean');
  assert.deepEqual(onlineBefore, targetBefore, 'the target starts as a copy');
  m.train(true);
  tf.tidy(() => m.loss(batch, lossContext(encoder, batch, 1)).loss);
  const onlineAfter = read('m.projector.norms.0.running_mean');
  assert.notDeepEqual(onlineAfter, onlineBefore, 'a training forward moves the online running mean');
  assert.deepEqual(read('m.target.projector.norms.0.running_mean'), targetBefore, 'the target forward leaves its own statistics alone');
  const tau = m.tauAt({ step: 0, totalSteps: 4, progress: 0 });
  m.afterStep({ step: 0, totalSteps: 4, progress: 0 });
  const ema = read('m.target.projector.norms.0.running_mean');
  for (let i = 0; i < ema.length; i++) assert.ok(Math.abs(ema[i] - (tau * targetBefore[i] + (1 - tau) * onlineAfter[i])) < 1e-6, `EMA of running_mean[${i}]`);
  // Evaluation mode: the running statistics normalise, so a validation loss leaves them as they are.
  m.train(false);
  tf.tidy(() => m.loss(batch, lossContext(encoder, batch, 1, false)).loss);
  assert.deepEqual(read('m.projector.norms.0.running_mean'), onlineAfter);
  const ln = (await buildWith(byolDefinition, { ...SMALL_BYOL, norm: 'layer' }, encoder)) as ByolMethod;
  assert.deepEqual([...ln.projector.namedParameters().keys()].filter((n) => n.startsWith('norms.')), ['norms.0.weight', 'norms.0.bias']);
  assert.ok([...ln.buffers().keys()].every((n) => n.startsWith('m.target.')));
  for (const x of [m, ln, encoder]) x.dispose();
});

test('byol trains on images through the Trainer (wasm): the loss goes down, projections not collapsed to a point, tensors flat', async () => {
  const { run, counts } = await train('byol', TINY_RESNET, { name: 'byol', config: SMALL_BYOL }, 24, 1e-3);
  try {
    await run.trainer.run();
  } finally {
    run.dispose();
  }
  const l = losses('byol', 'byol/loss');
  assert.ok(mean(l.slice(-3)) < 0.8 * mean(l.slice(0, 3)), `byol loss falls: ${l.map((v) => v.toFixed(3)).join(' ')}`);
  const std = losses('byol', 'byol/proj_std_ratio');
  // 0 is collapse. With the batch-norm heads (the default) measured 0.78-0.84 at every logged step of these
  // 24; the LayerNorm heads (norm: layer) fell 0.36 -> 0.13 over the same steps.
  assert.ok(std.every((r) => r > 0.6), `projections not collapsed: ${std.map((v) => v.toFixed(3)).join(' ')}`);
  assert.ok(counts.every((c) => c === counts[0]), `tensor count flat: ${counts.join(',')}`);
});

for (const [name, teacher, student, config] of [
  ['a narrower ResNet from a ResNet, per position', 'teacher-resnet/checkpoints', STUDENT_RESNET, {}],
  ['a one-block ViT from a two-block ViT, layer-wise', 'teacher-vit/checkpoints', TINY_VIT, { teacherLayers: [1, 2] }],
  ['a ResNet from a ViT, pooled', 'teacher-vit/checkpoints', STUDENT_RESNET, { match: 'pooled' }],
] as const) {
  test(`distill on images (${name}): gradients reach the student and the heads, none the teacher`, async () => {
    const { batch } = await firstBatch();
    const encoder = tinyEncoder(student);
    const m = (await buildWith(distillDefinition, { teacher, ...config }, encoder)) as DistillMethod;
    const teacherVars = [...m.buffers().values()];
    assert.ok(teacherVars.length > 0 && teacherVars.every((v) => !v.trainable));
    assert.ok([...trainables(encoder, m).keys()].every((n) => !n.startsWith('m.teacher.')));
    // Every head maps the student's width to its teacher layer's width.
    for (const h of m.heads) assert.equal(h.namedParameters().get('weight')!.shape[0], encoder.outputDim);
    assert.deepEqual(zeroGradients(encoder, m, batch).filter((n) => !n.endsWith('mask_emb')), []);
    for (const v of teacherVars) v.trainable = true;
    const { value, grads } = tf.variableGrads(() => m.loss(batch, lossContext(encoder, batch, 1)).loss, teacherVars);
    for (const v of teacherVars) v.trainable = false;
    for (const v of teacherVars) assert.ok(!grads[v.name] || tf.tidy(() => tf.max(tf.abs(grads[v.name])).dataSync()[0]) === 0, `no gradient into ${v.name}`);
    tf.dispose([value, ...Object.values(grads)]);
    m.dispose();
    encoder.dispose();
  });
}

test('distill on images refuses shapes that do not fit, naming the field', async () => {
  const coarse = tinyEncoder({ ...STUDENT_RESNET, strides: [2, 1] });
  await assert.rejects(buildWith(distillDefinition, { teacher: 'teacher-resnet/checkpoints' }, coarse), (e: Error) => {
    assert.match(e.message, /m\.config\.match/);
    assert.match(e.message, /teacher layer 0 gives 4 tokens per image, the student's representation 16.*set match: pooled/);
    return true;
  });
  const pooled = (await buildWith(distillDefinition, { teacher: 'teacher-resnet/checkpoints', match: 'pooled' }, coarse)) as DistillMethod;
  pooled.dispose();
  await assert.rejects(buildWith(distillDefinition, { teacher: 'teacher-vit/checkpoints', teacherLayers: [3] }, coarse), /m\.config\.teacherLayers.*teacher layer 3 asked/);
  const rgb = tinyEncoder({ ...STUDENT_RESNET, inChannels: 3 });
  await assert.rejects(buildWith(distillDefinition, { teacher: 'teacher-resnet/checkpoints' }, rgb), /takes 3 channel\(s\), the images have 1/);
  assert.throws(() => distillDefinition.readConfig(new Fields({ teacher: 'x', match: 'tokens' }, 'c')), /c\.match: expected one of positions\|pooled/);
  coarse.dispose();
  rgb.dispose();
});

test('distill trains a smaller ResNet on images through the Trainer (wasm): the loss goes down, the teacher unchanged', async () => {
  const { run, counts } = await train('student', STUDENT_RESNET, { name: 'distill', config: { teacher: 'teacher-resnet/checkpoints' } }, 20, 5e-3);
  const teacherBefore = new Map([...run.trainer.tensors.buffers].filter(([n]) => n.startsWith('distill.teacher.')).map(([n, v]) => [n, Float32Array.from(v.dataSync())]));
  try {
    await run.trainer.run();
    assert.ok(teacherBefore.size > 0);
    for (const [n, v] of run.trainer.tensors.buffers) if (teacherBefore.has(n)) assert.deepEqual(Float32Array.from(v.dataSync()), teacherBefore.get(n), `${n} unchanged`);
  } finally {
    run.dispose();
  }
  const l = losses('student', 'distill/loss');
  assert.ok(mean(l.slice(-3)) < 0.8 * mean(l.slice(0, 3)), `distill loss falls: ${l.map((v) => v.toFixed(3)).join(' ')}`);
  assert.ok(counts.every((c) => c === counts[0]), `tensor count flat: ${counts.join(',')}`);
});

test('byol and distill on images (wasm): a run resumed from a checkpoint ends bitwise equal to one that never stopped', async () => {
  const cfg = {
    seed: 4,
    encoder: STUDENT_RESNET,
    methods: [
      { name: 'byol', config: SMALL_BYOL },
      { name: 'distill', weight: 0.5, config: { teacher: 'teacher-resnet/checkpoints' } },
    ],
    data: { ...DATA, maxTrain: 40, batchSize: 8 },
    optim: { lr: 3e-3 },
    schedule: { kind: 'constant' },
    train: { maxSteps: 6, logEvery: 1, checkpointEvery: 3, keepLast: 5 },
  };
  const a = await buildRun(cfg, { baseDir: work, outDir: join(work, 'resume-a'), deps });
  await a.trainer.run();
  a.dispose();
  const storeA = new CheckpointStore(join(work, 'resume-a'));
  const storeB = new CheckpointStore(join(work, 'resume-b'));
  cpSync(storeA.pathOf(3), storeB.pathOf(3), { recursive: true });
  const b = await buildRun(cfg, { baseDir: work, outDir: join(work, 'resume-b'), deps });
  assert.ok(resumeLatest(b)?.endsWith('step-000000003'));
  await b.trainer.run();
  b.dispose();
  const wa = readSafetensors(join(storeA.pathOf(6), 'weights.safetensors')).tensors;
  const wb = readSafetensors(join(storeB.pathOf(6), 'weights.safetensors')).tensors;
  assert.deepEqual([...wb.keys()].sort(), [...wa.keys()].sort());
  assert.ok([...wa.keys()].some((n) => n.startsWith('byol.target.encoder.')) && [...wa.keys()].some((n) => n.startsWith('distill.teacher.')));
  for (const [n, t] of wa) assert.deepEqual(wb.get(n)!.data, t.data, `tensor ${n}`);
  // The EMA target lags the online encoder (it moved, but not all the way).
  const lagging = [...wa].filter(([n]) => n.startsWith('byol.target.encoder.')).filter(([n, t]) => {
    const online = wa.get(`encoder.${n.slice('byol.target.encoder.'.length)}`)!.data;
    return t.data.some((v, i) => v !== online[i]);
  });
  assert.ok(lagging.length > 0, 'the target differs from the online encoder');
});
