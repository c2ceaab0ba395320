import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useBackend } from './fixtures/backend.ts';
import { buildTinyEncoder, TINY_METHODS, tinyRunConfig, writeTinyShard } from './fixtures/tiny.ts';
import { buildRun, writeRunConfig } from '../../src/train/run.ts';
import { readRunConfig } from '../../src/train/config.ts';
import { NonFiniteLossError } from '../../src/train/trainer.ts';
import { methodWeight, weightedLosses } from '../../src/train/losses.ts';
import { readSafetensors } from '../../src/checkpoint/safetensors.ts';
import { loadCheckpoint } from '../../src/checkpoint/checkpoint.ts';
import type { MetricsRow } from '../../src/train/metrics-log.ts';
import type { SequenceBatch } from '../../src/data/sequence.ts';

function setupDir(): { dir: string; feats: string } {
  const dir = mkdtempSync(join(tmpdir(), 'trainer-'));
  const feats = join(dir, 'feats');
  writeTinyShard(feats, 'train', 24, 3, 1);
  writeTinyShard(feats, 'valid', 6, 3, 2);
  return { dir, feats };
}

const deps = { buildEncoder: buildTinyEncoder, methods: TINY_METHODS };

function readRows(file: string): MetricsRow[] {
  return readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as MetricsRow);
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`trainer (${backend}): two methods on one encoder: loss falls, metrics apart, tensors flat, last N + best kept`, async () => {
    await useBackend(backend);
    const { dir, feats } = setupDir();
    const out = join(dir, 'out');
    const counts: number[] = [];
    const run = await buildRun(tinyRunConfig(feats, { train: { maxSteps: 16, updateFreq: 2, clipNorm: 1, logEvery: 2, validEvery: 4, checkpointEvery: 4, keepLast: 2 } }), {
      baseDir: dir,
      outDir: out,
      deps,
      hooks: { afterUpdate: (step) => step >= 2 && counts.push(tf.memory().numTensors) },
    });
    const summary = await run.trainer.run();
    assert.equal(summary.step, 16);
    assert.ok(counts.every((c) => c === counts[0]), `tensor count flat across steps: ${counts.join(',')}`);

    const rows = readRows(join(out, 'metrics.jsonl'));
    const train = rows.filter((r) => r.split === 'train');
    const valid = rows.filter((r) => r.split === 'valid');
    assert.deepEqual(train.map((r) => r.step), [2, 4, 6, 8, 10, 12, 14, 16]);
    assert.deepEqual(valid.map((r) => r.step), [4, 8, 12, 16]);
    for (const k of ['loss', 'next-frame/loss', 'ema/loss', 'ema/masked', 'lr', 'grad_norm', 'steps_per_s', 'epoch']) assert.equal(typeof train[0][k], 'number', k);
    for (const r of train) {
      // The total is the weighted sum of the methods' losses (weights 1 and 0.5).
      assert.ok(Math.abs((r.loss as number) - ((r['next-frame/loss'] as number) + 0.5 * (r['ema/loss'] as number))) < 1e-5, `loss sum at ${r.step}`);
    }
    assert.ok(Math.abs((train[0].lr as number) - run.trainer.schedule.lrAt(1)) < 1e-15, 'lr of the logged update');
    assert.ok((train.at(-1)!['next-frame/loss'] as number) < 0.6 * (train[0]['next-frame/loss'] as number), `next-frame loss falls: ${train.map((r) => (r['next-frame/loss'] as number).toFixed(3))}`);
    assert.ok((valid.at(-1)!['valid/loss'] as number) < (valid[0]['valid/loss'] as number));

    // Retention: the last two, plus the best by valid/loss.
    const bestRow = valid.reduce((a, b) => ((b['valid/loss'] as number) < (a['valid/loss'] as number) ? b : a));
    const best = run.trainer.store.best()!;
    assert.equal(best.step, bestRow.step);
    assert.deepEqual(run.trainer.store.steps(), [...new Set([bestRow.step, 12, 16])].sort((a, b) => a - b));

    // Checkpoint layout: roles, weights equal to the live variables, no optimiser state for buffers.
    const ck = loadCheckpoint(run.trainer.store.pathOf(16));
    assert.equal(ck.model.tensors['ema.target.weight'].role, 'buffer');
    assert.equal(ck.model.tensors['encoder.proj.weight'].role, 'encoder');
    assert.equal(ck.model.tensors['next-frame.head.weight'].role, 'method');
    assert.ok(!ck.optimizer.slots.has('ema.target.weight'));
    assert.equal(ck.optimizer.slots.get('encoder.proj.weight')!.step, 16);
    const live = run.trainer.tensors.trainable.get('encoder.proj.weight')!.dataSync();
    assert.deepEqual(Array.from(ck.weights.get('encoder.proj.weight')!.data), Array.from(live));
    const raw = readSafetensors(join(run.trainer.store.pathOf(16), 'weights.safetensors'));
    assert.equal(raw.metadata.step, '16');
    assert.equal(ck.trainer.step, 16);
    assert.deepEqual(ck.model.methods.map((m) => m.key), ['next-frame', 'ema']);
    run.dispose();
  });
}

test('trainer (cpu): a loss weight scheduled with weightEnd moves linearly over training, is logged and kept in model.json and config.json', async () => {
  assert.equal(methodWeight({ weight: 0.5 }, 0.7), 0.5);
  assert.equal(methodWeight({ weight: 1, weightEnd: 0 }, 0.25), 0.75);
  assert.ok(Math.abs(methodWeight({ weight: 0.2, weightEnd: 1 }, 0.5) - 0.6) < 1e-15);
  assert.equal(methodWeight({ weight: 1, weightEnd: 0 }, 1.5), 0, 'clamped to the end weight');
  await useBackend('cpu');
  const { dir, feats } = setupDir();
  const out = join(dir, 'out');
  const config = tinyRunConfig(feats, {
    methods: [
      { name: 'next-frame', weight: 1 },
      { name: 'ema-target', key: 'ema', weight: 1, weightEnd: 0, layer: 1, config: { tau: 0.8 } },
    ],
    train: { maxSteps: 8, updateFreq: 1, clipNorm: 1, logEvery: 1, validEvery: 0, checkpointEvery: 8, keepLast: 1 },
  });
  const run = await buildRun(config, { baseDir: dir, outDir: out, deps });
  await run.trainer.run();
  const train = readRows(join(out, 'metrics.jsonl')).filter((r) => r.split === 'train');
  assert.equal(train.length, 8);
  for (const r of train) {
    // Update k (logged as step k) runs at progress (k - 1) / 8.
    const want = 1 - ((r.step as number) - 1) / 8;
    assert.ok(Math.abs((r['ema/weight'] as number) - want) < 1e-12, `weight at ${r.step}: ${r['ema/weight']} vs ${want}`);
    assert.ok(Math.abs((r.loss as number) - ((r['next-frame/loss'] as number) + want * (r['ema/loss'] as number))) < 1e-5, `loss sum at ${r.step}`);
    assert.equal(r['next-frame/weight'], undefined, 'a constant weight is not logged');
  }
  const ck = loadCheckpoint(run.trainer.store.pathOf(8));
  assert.deepEqual(ck.model.methods.map((m) => [m.weight, m.weightEnd]), [[1, undefined], [1, 0]]);
  // The resolved config a resume re-reads keeps the schedule.
  writeRunConfig(out, readRunConfig(config));
  const reread = readRunConfig(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')));
  assert.deepEqual(reread.methods.map((m) => m.weightEnd), [undefined, 0]);
  run.dispose();
});

test('trainer (cpu): accumulated gradients are the mean over micro-batches (finite differences), clipped as clip_grad_norm_', async () => {
  await useBackend('cpu');
  const { dir, feats } = setupDir();
  const config = tinyRunConfig(feats, {
    methods: [{ name: 'next-frame' }],
    optim: { lr: 0.01, weightDecay: 0 },
    schedule: { kind: 'constant' },
    train: { maxSteps: 1, updateFreq: 2, clipNorm: 0.05, logEvery: 1 },
  });
  const run = await buildRun(config, { baseDir: dir, outDir: join(dir, 'out'), deps });
  const t = run.trainer;
  // Record the two batches the update will draw, and the gradients handed to the optimiser.
  const setup = (t as unknown as { setup: { data: { train: { next(): Promise<SequenceBatch> } }; encoder: Parameters<typeof weightedLosses>[1]; methods: Parameters<typeof weightedLosses>[2] } }).setup;
  const batches: SequenceBatch[] = [];
  const next = setup.data.train.next.bind(setup.data.train);
  setup.data.train.next = async () => {
    const b = await next();
    batches.push(b);
    return b;
  };
  let captured = new Map<string, Float32Array>();
  const realStep = t.optimizer.step.bind(t.optimizer);
  t.optimizer.step = (params, grads) => {
    captured = new Map([...grads].map(([n, g]) => [n, Float32Array.from(g.dataSync() as Float32Array)]));
    realStep(params, grads);
  };
  const params = t.tensors.trainable;
  const before = new Map([...params].map(([n, v]) => [n, Float32Array.from(v.dataSync() as Float32Array)]));
  const values = await t.update();
  const norm = values.get('grad_norm')!;
  const coef = Math.min(1, 0.05 / (norm + 1e-6));
  assert.ok(coef < 1, 'the clip is active in this test');

  // Restore the weights and compare with central differences of the mean loss over the two batches.
  for (const [n, v] of params) v.assign(tf.tensor(before.get(n)!, v.shape));
  const meanLoss = () =>
    tf.tidy(() => {
      let s = 0;
      batches.forEach((b, micro) => {
        s += weightedLosses(b, setup.encoder, setup.methods, { step: 0, totalSteps: 1, progress: 0, seed: 7, micro, training: true }).total.dataSync()[0];
      });
      return s / batches.length;
    });
  let sq = 0;
  for (const g of captured.values()) for (const x of g) sq += (x / coef) ** 2;
  assert.ok(Math.abs(Math.sqrt(sq) - norm) < 1e-4 * norm, `logged grad_norm ${norm} is the norm before clipping (${Math.sqrt(sq)})`);
  for (const [name, index] of [['encoder.proj.weight', 1], ['encoder.layers.1.bias', 3], ['next-frame.head.weight', 5]] as const) {
    const v = params.get(name)!;
    const base = before.get(name)!;
    const h = 1e-2;
    const at = (delta: number) => {
      const w = Float32Array.from(base);
      w[index] += delta;
      v.assign(tf.tensor(w, v.shape));
      return meanLoss();
    };
    const fd = (at(h) - at(-h)) / (2 * h);
    v.assign(tf.tensor(base, v.shape));
    const got = captured.get(name)![index] / coef;
    assert.ok(Math.abs(got - fd) <= 2e-3 + 2e-2 * Math.abs(fd), `${name}[${index}]: accumulated gradient ${got}, finite difference ${fd}`);
  }
  run.dispose();
});

test('trainer (cpu): a NaN loss stops the run naming the step and the metric; the last good checkpoint stays', async () => {
  await useBackend('cpu');
  const { dir, feats } = setupDir();
  const out = join(dir, 'out');
  const config = tinyRunConfig(feats, {
    methods: [{ name: 'next-frame' }, { name: 'explode', key: 'boom', config: { at: 5 } }],
    train: { maxSteps: 10, updateFreq: 1, logEvery: 1, checkpointEvery: 2, keepLast: 5 },
  });
  const run = await buildRun(config, { baseDir: dir, outDir: out, deps });
  await assert.rejects(run.trainer.run(), (e: unknown) => {
    assert.ok(e instanceof NonFiniteLossError);
    assert.equal(e.step, 5);
    assert.equal(e.metric, 'boom/loss');
    assert.match(e.message, /non-finite boom\/loss \(NaN\) at step 5/);
    assert.match(e.message, /step-000000004/);
    return true;
  });
  assert.deepEqual(run.trainer.store.steps(), [2, 4]);
  assert.equal(run.trainer.step, 4, 'no update was applied at the failing step');
  const rows = readRows(join(out, 'metrics.jsonl'));
  assert.equal(Math.max(...rows.map((r) => r.step)), 4);
  const ck = loadCheckpoint(run.trainer.store.pathOf(4));
  for (const [n, a] of ck.weights) assert.ok(a.data.every(Number.isFinite), n);
  run.dispose();
});

test('trainer (cpu): EMA buffers get no gradient and no optimiser state; tau = 1 leaves them bitwise unchanged', async () => {
  await useBackend('cpu');
  const { dir, feats } = setupDir();
  const config = tinyRunConfig(feats, { methods: [{ name: 'ema-target', key: 'ema', config: { tau: 1 } }], train: { maxSteps: 3, logEvery: 1 } });
  const run = await buildRun(config, { baseDir: dir, outDir: join(dir, 'out'), deps });
  const t = run.trainer;
  assert.ok(!t.tensors.trainable.has('ema.target.weight'));
  assert.ok(t.tensors.buffers.has('ema.target.weight'));
  const target0 = Array.from(t.tensors.buffers.get('ema.target.weight')!.dataSync());
  const online0 = Array.from(t.tensors.trainable.get('ema.online.weight')!.dataSync());
  await t.run();
  assert.deepEqual(Array.from(t.tensors.buffers.get('ema.target.weight')!.dataSync()), target0);
  assert.notDeepEqual(Array.from(t.tensors.trainable.get('ema.online.weight')!.dataSync()), online0);
  assert.equal(t.optimizer.stepOf('ema.target.weight'), 0);
  assert.equal(t.optimizer.stepOf('ema.online.weight'), 3);
  const ck = loadCheckpoint(t.store.latest()!);
  assert.deepEqual(ck.trainer.methods.ema, { updates: 3 });
  run.dispose();
});

test('trainer (cpu): optim.lrScale reaches the optimiser (factor 0 leaves a group unchanged); a prefix naming nothing is refused', async () => {
  await useBackend('cpu');
  const { dir, feats } = setupDir();
  const over = (lrScale: Record<string, number>) => tinyRunConfig(feats, { methods: [{ name: 'ema-target', key: 'ema', config: { tau: 0.5 } }], optim: { lr: 0.01, lrScale }, train: { maxSteps: 2, logEvery: 1 } });
  const run = await buildRun(over({ 'ema.online.': 0 }), { baseDir: dir, outDir: join(dir, 'out'), deps });
  const t = run.trainer;
  const online0 = Array.from(t.tensors.trainable.get('ema.online.weight')!.dataSync());
  const encoderName = [...t.tensors.trainable.keys()].find((n) => n.startsWith('encoder.'))!;
  const encoder0 = Array.from(t.tensors.trainable.get(encoderName)!.dataSync());
  await t.run();
  assert.deepEqual(Array.from(t.tensors.trainable.get('ema.online.weight')!.dataSync()), online0);
  assert.notDeepEqual(Array.from(t.tensors.trainable.get(encoderName)!.dataSync()), encoder0);
  assert.equal(t.optimizer.stepOf('ema.online.weight'), 2, 'a factor-0 group still counts its steps');
  run.dispose();
  await assert.rejects(buildRun(over({ 'ema.onlin.': 2 }), { baseDir: dir, outDir: join(dir, 'o2'), deps }), /optim\.lrScale: no trainable parameter's name starts with "ema\.onlin\."/);
});

test('run building: unknown method, method config field, layer out of range, duplicate keys are named', async () => {
  await useBackend('cpu');
  const { dir, feats } = setupDir();
  const build = (over: Record<string, unknown>) => buildRun(tinyRunConfig(feats, over), { baseDir: dir, outDir: join(dir, 'o'), deps, file: 'run.yaml' });
  await assert.rejects(build({ methods: [{ name: 'hubertt' }] }), /run\.yaml: methods\[0\]\.name: unknown method "hubertt" \(known: ema-target, explode, next-frame\)/);
  await assert.rejects(build({ methods: [{ name: 'ema-target', config: { tauu: 1 } }] }), /methods\[0\]\.config\.tauu: unknown field/);
  await assert.rejects(build({ methods: [{ name: 'ema-target', config: { tau: 'high' } }] }), /methods\[0\]\.config\.tau: expected a finite number, got "high"/);
  await assert.rejects(build({ methods: [{ name: 'next-frame', layer: 7 }] }), /methods\[0\]\.layer: layer 7 requested, the encoder has 2 layers/);
  await assert.rejects(build({ methods: [{ name: 'next-frame' }, { name: 'next-frame' }] }), /methods\[1\]\.key: key "next-frame" is used twice/);
  assert.ok(!existsSync(join(dir, 'o', 'checkpoints')));
});
