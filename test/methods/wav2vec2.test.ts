import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../train/fixtures/backend.ts';
import { contextFor, randomBatch } from './fixtures/loss-context.ts';
import { TINY_TRANSFORMER, buildFsddRun, fsddRunConfig, fsddSlice, readRows, trainOnFsdd } from './fixtures/fsdd-run.ts';
import { buildEncoder } from '../../src/models/registry.ts';
import { Wav2vec2Method, wav2vec2Definition, WAV2VEC2_DEFAULTS } from '../../src/methods/wav2vec2.ts';
import { CheckpointStore, loadCheckpoint } from '../../src/checkpoint/checkpoint.ts';
import { resumeLatest } from '../../src/train/run.ts';
import { Fields } from '../../src/util/fields.ts';
import { Rng } from '../../src/util/rng.ts';
import type { Encoder } from '../../src/models/encoder.ts';
import type { DataInfo } from '../../src/data/registry.ts';
import type { MetricsRow } from '../../src/train/metrics-log.ts';

const INFO: DataInfo = { kind: 'features', inputDims: 20, isWaveform: false, labelSets: [], numTrain: 1, numValid: 0 };
const SMALL = { groups: 2, entriesPerGroup: 16, codeDim: 16, finalDim: 16, numNegatives: 10, maskLength: 3, maskProb: 0.5 };

const read = (raw: object) => wav2vec2Definition.readConfig(new Fields(raw, 'methods[1].config', 'run.yaml'));
const build = (raw: object, encoder: Encoder) => wav2vec2Definition.create(read(raw), { key: 'w2v', encoder, data: INFO, layer: undefined, rng: new Rng(4), baseDir: '.' }) as Wav2vec2Method;

test('wav2vec2: defaults as the paper; config errors name the field', () => {
  const d = read({});
  assert.deepEqual(d, WAV2VEC2_DEFAULTS);
  assert.equal(d.maskProb, 0.65);
  assert.equal(d.maskLength, 10);
  assert.equal(d.numNegatives, 100);
  assert.equal(d.logitTemperature, 0.1);
  assert.equal(d.diversityWeight, 0.1);
  assert.deepEqual([d.maxTemperature, d.minTemperature, d.temperatureDecay], [2, 0.5, 0.999995]);
  assert.deepEqual(d.negatives, { kind: 'same-utterance' });
  assert.deepEqual(read({ negatives: { kind: 'hardness-band', skipFraction: 0.2 } }).negatives, { kind: 'hardness-band', pool: 'same-utterance', skipFraction: 0.2, bandFraction: 0.3 });
  assert.throws(() => read({ codeDim: 15, groups: 2 }), /run\.yaml: methods\[1\]\.config\.codeDim: must be divisible by groups \(2\)/);
  assert.throws(() => read({ minTemperature: 3 }), /config\.minTemperature: must not exceed maxTemperature/);
  assert.throws(() => read({ logitTemperature: 0 }), /config\.logitTemperature: expected a number > 0/);
  assert.throws(() => read({ negatives: { kind: 'hardness-band', pool: 'everywhere' } }), /config\.negatives\.pool: expected one of same-utterance\|batch\|other-utterances/);
  assert.throws(() => read({ temperature: 2 }), /config\.temperature: unknown field/);
});

test('wav2vec2: Gumbel temperature anneals by update count and round-trips through getState/setState', async () => {
  await useBackend('cpu');
  const encoder = buildEncoder(TINY_TRANSFORMER, { seed: 1 });
  const m = build(SMALL, encoder);
  m.beforeStep({ step: 0, totalSteps: 10, progress: 0 });
  assert.equal(m.quantizer.temperature, 2);
  m.beforeStep({ step: 100000, totalSteps: 200000, progress: 0.5 });
  assert.ok(Math.abs(m.quantizer.temperature - 2 * Math.pow(0.999995, 100000)) < 1e-12);
  m.beforeStep({ step: 10_000_000, totalSteps: 10_000_000, progress: 1 });
  assert.equal(m.quantizer.temperature, 0.5, 'floored at the minimum');
  const other = build(SMALL, encoder);
  other.setState(JSON.parse(JSON.stringify(m.getState())));
  assert.equal(other.quantizer.temperature, 0.5);
  assert.throws(() => other.setState({}), /numUpdates/);
  m.dispose();
  other.dispose();
  encoder.dispose();
});

test('wav2vec2: a zero context projection scores every candidate alike: contrastive loss log(K + 1), accuracy 0', async () => {
  await useBackend('cpu');
  const encoder = buildEncoder(TINY_TRANSFORMER, { seed: 2 });
  const m = build({ ...SMALL, entriesPerGroup: 64, numNegatives: 6 }, encoder);
  for (const v of m.finalProj.namedParameters().values()) v.assign(tf.zerosLike(v));
  const batch = randomBatch(2, 24, 20, 3);
  const out = tf.tidy(() => {
    const r = m.loss(batch, contextFor(encoder, batch, 5));
    const x = r.metrics!;
    return { con: x.loss_contrastive as number, acc: x.acc as number, dup: x.duplicates as number, frac: x.mask_frac as number };
  });
  assert.equal(out.dup, 0, 'no distractor repeats the positive here (else it would drop out of the sum)');
  assert.ok(Math.abs(out.con - Math.log(7)) < 1e-5, `${out.con} vs log 7`);
  assert.equal(out.acc, 0);
  assert.ok(out.frac > 0.2 && out.frac < 0.9, `masked share ${out.frac}`);
  m.dispose();
  encoder.dispose();
});

test('wav2vec2: every trainable parameter of the encoder and the method gets a non-zero gradient', async () => {
  await useBackend('cpu');
  const encoder = buildEncoder(TINY_TRANSFORMER, { seed: 3 });
  const m = build(SMALL, encoder);
  const batch = randomBatch(2, 24, 20, 6, [24, 19]);
  const params = new Map([...encoder.namedParameters(), ...m.parameters()]);
  const { grads } = tf.variableGrads(() => m.loss(batch, contextFor(encoder, batch, 7)).loss, [...params.values()]);
  for (const [n, v] of params) {
    const g = grads[v.name] ? tf.tidy(() => tf.norm(grads[v.name]).dataSync()[0]) : 0;
    assert.ok(g > 0 && Number.isFinite(g), `gradient of ${n}: ${g}`);
  }
  for (const k of ['w2v.quantizer.weight_proj.weight', 'w2v.quantizer.vars', 'w2v.project_q.weight', 'w2v.final_proj.weight', 'mask_emb']) assert.ok(params.has(k), k);
  tf.dispose(grads);
  m.dispose();
  encoder.dispose();
});

const FSDD_W2V = [{ name: 'wav2vec2', config: { ...SMALL, numNegatives: 20, maskLength: 5, temperatureDecay: 0.9 } }];

test('wav2vec2: trains on 16 FSDD recordings through the Trainer; loss falls, temperature and perplexity logged', async () => {
  await useBackend('wasm');
  const { train, tensorCounts } = await trainOnFsdd(TINY_TRANSFORMER, FSDD_W2V, { steps: 20, lr: 3e-3 });
  const loss = train.map((r) => r['wav2vec2/loss'] as number);
  const acc = train.map((r) => r['wav2vec2/acc'] as number);
  assert.ok(loss.at(-1)! < loss[0] - 0.2, `loss falls: ${loss.map((v) => v.toFixed(3)).join(' ')}`);
  assert.ok(acc.at(-1)! > acc[0], `accuracy rises: ${acc.map((v) => v.toFixed(3)).join(' ')}`);
  const temps = train.map((r) => r['wav2vec2/temperature'] as number);
  // Logged values average the steps of each interval of 5: mean of 2 * 0.9^s over s = 0..4 for the first.
  const mean0 = [0, 1, 2, 3, 4].reduce((a, s) => a + 2 * 0.9 ** s, 0) / 5;
  assert.ok(Math.abs(temps[0] - mean0) < 1e-9, `${temps[0]} vs ${mean0}`);
  assert.ok(temps.every((t, i) => i === 0 || t < temps[i - 1]), `temperature falls: ${temps.join(' ')}`);
  for (const r of train) assert.ok((r['wav2vec2/code_perplexity'] as number) >= 1 && (r['wav2vec2/code_perplexity'] as number) <= 32, `perplexity in [1, G V]: ${r['wav2vec2/code_perplexity']}`);
  assert.ok(tensorCounts.every((c) => c === tensorCounts[0]), `tensor count flat: ${tensorCounts.join(',')}`);
});

test('wav2vec2: a run stopped after a checkpoint and resumed logs exactly what an uninterrupted run logs', async () => {
  await useBackend('cpu');
  const dir = mkdtempSync(join(tmpdir(), 'w2v-resume-'));
  const feats = await fsddSlice(dir);
  const config = fsddRunConfig(feats, { ...TINY_TRANSFORMER, layers: 1, dim: 16, ffnDim: 32 }, FSDD_W2V, { steps: 6, checkpointEvery: 3, logEvery: 1 });
  const strip = (rows: MetricsRow[]) => rows.map(({ steps_per_s: _s, tensors: _t, ...rest }) => rest);
  const straight = await buildFsddRun(config, dir, join(dir, 'straight'));
  await straight.trainer.run();
  straight.dispose();
  // Logged every step, so no logged mean straddles the resume point. Interrupted: stop right after the step-3 checkpoint, then resume in a fresh run from that folder.
  const cut = await buildFsddRun(config, dir, join(dir, 'cut'), (s) => {
    if (s === 3) throw new Error('stop');
  });
  await assert.rejects(cut.trainer.run(), /stop/);
  cut.dispose();
  const ckpt = loadCheckpoint(new CheckpointStore(join(dir, 'cut')).pathOf(3));
  assert.deepEqual(ckpt.trainer.methods.wav2vec2, { numUpdates: 3 }, 'the quantiser state at the checkpoint: 3 updates applied');
  const resumed = await buildFsddRun(config, dir, join(dir, 'cut'));
  assert.ok(resumeLatest(resumed));
  await resumed.trainer.run();
  resumed.dispose();
  const rows = strip(readRows(join(dir, 'cut')));
  assert.equal(rows.length, 6);
  assert.deepEqual(rows, strip(readRows(join(dir, 'straight'))));
  assert.deepEqual(rows.map((r) => r['wav2vec2/temperature']), [0, 1, 2, 3, 4, 5].map((s) => 2 * 0.9 ** s));
});
