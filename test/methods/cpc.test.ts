import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../train/fixtures/backend.ts';
import { ContextEncoder } from './fixtures/context-encoder.ts';
import { contextFor, randomBatch } from './fixtures/loss-context.ts';
import { TINY_CPC_ENCODER, TINY_TRANSFORMER, trainOnFsdd } from './fixtures/fsdd-run.ts';
import { buildEncoder } from '../../src/models/registry.ts';
import { CpcMethod, cpcDefinition, CPC_METHOD_DEFAULTS } from '../../src/methods/cpc.ts';
import { contextIsCausal } from '../../src/methods/causality.ts';
import { Fields } from '../../src/util/fields.ts';
import { Rng } from '../../src/util/rng.ts';
import type { Encoder } from '../../src/models/encoder.ts';
import type { DataInfo } from '../../src/data/registry.ts';

const INFO: DataInfo = { kind: 'features', inputDims: 20, isWaveform: false, labelSets: [], numTrain: 1, numValid: 0 };

const build = (raw: object, encoder: Encoder, seed = 1) => cpcDefinition.create(cpcDefinition.readConfig(new Fields(raw, 'methods[0].config')), { key: 'cpc', encoder, data: INFO, layer: undefined, rng: new Rng(seed), baseDir: '.' }) as CpcMethod;

test('cpc: causality probe tells a GRU context from a transformer and a frame-mixing encoder', async () => {
  await useBackend('cpu');
  const cpc = buildEncoder(TINY_CPC_ENCODER, { seed: 1 });
  const transformer = buildEncoder(TINY_TRANSFORMER, { seed: 1 });
  const mixing = new ContextEncoder({ dim: 8, layers: 1, inputDims: 20 }, 1);
  assert.equal(contextIsCausal(cpc), true);
  assert.equal(contextIsCausal(transformer), false);
  assert.equal(contextIsCausal(mixing), false);
  assert.equal(transformer.training, true, 'the probe restores training mode');
  // auto: the CPC encoder's GRU is the context; the transformer gets the method's own GRU.
  const a = build({}, cpc);
  const b = build({ contextDim: 16 }, transformer);
  assert.equal(a.contextNetwork, null);
  assert.ok(b.contextNetwork);
  assert.deepEqual([...b.parameters().keys()].filter((k) => k.startsWith('cpc.context.')).length > 0, true);
  assert.deepEqual(a.predictors.weight.shape, [12, 32, 32]);
  assert.deepEqual(b.predictors.weight.shape, [12, 16, 32]);
  for (const x of [a, b, cpc, transformer, mixing]) x.dispose();
});

test('cpc: config errors name the field', async () => {
  await useBackend('cpu');
  const read = (raw: object) => cpcDefinition.readConfig(new Fields(raw, 'methods[0].config', 'run.yaml'));
  assert.throws(() => read({ steps: 0 }), /run\.yaml: methods\[0\]\.config\.steps: expected a number >= 1/);
  assert.throws(() => read({ negatives: { kind: 'nearest' } }), /methods\[0\]\.config\.negatives\.kind: expected one of same-utterance\|batch\|other-utterances\|hardness-band/);
  assert.throws(() => read({ negatives: { kind: 'hardness-band', skipFraction: 1 } }), /negatives\.skipFraction: expected a number in \[0, 1\)/);
  assert.throws(() => read({ negatives: { kind: 'batch', skipFraction: 0.1 } }), /negatives\.skipFraction: unknown field/);
  assert.throws(() => read({ context: 'lstm' }), /config\.context: expected one of auto\|encoder\|gru/);
  assert.throws(() => read({ step: 4 }), /config\.step: unknown field/);
  assert.deepEqual(read({ negatives: { kind: 'hardness-band' } }).negatives, { kind: 'hardness-band', pool: 'batch', skipFraction: 0.1, bandFraction: 0.3 });
  assert.deepEqual(read({}), CPC_METHOD_DEFAULTS);
  const transformer = buildEncoder(TINY_TRANSFORMER, { seed: 1 });
  assert.throws(() => build({ context: 'encoder' }, transformer), /config\.context: the audio-transformer encoder's context network is not causal/);
  const withLayer = () => cpcDefinition.create(read({}), { key: 'cpc', encoder: transformer, data: INFO, layer: 1, rng: new Rng(1), baseDir: '.' });
  assert.throws(withLayer, /\(cpc\) layer: layer 1 is read from the encoder's context, but this cpc uses its own GRU/);
  transformer.dispose();
});

test('cpc: zero prediction heads score every candidate 0, so the loss is log(K + 1) and no anchor is right', async () => {
  await useBackend('cpu');
  const encoder = buildEncoder(TINY_CPC_ENCODER, { seed: 2 });
  for (const [negatives, K] of [[{ kind: 'batch' }, 7], [{ kind: 'same-utterance' }, 5], [{ kind: 'hardness-band', pool: 'other-utterances' }, 3]] as const) {
    const method = build({ steps: 3, numNegatives: K, negatives }, encoder);
    method.predictors.weight.assign(tf.zerosLike(method.predictors.weight));
    const batch = randomBatch(3, 12, 20, 4, [12, 9, 7]);
    const out = tf.tidy(() => {
      const r = method.loss(batch, contextFor(encoder, batch, 5));
      return { loss: r.loss.dataSync()[0], acc: r.metrics!.acc as number, acc3: r.metrics!.acc_3 as number };
    });
    assert.ok(Math.abs(out.loss - Math.log(K + 1)) < 1e-5, `${negatives.kind}: ${out.loss} vs log(${K + 1})`);
    assert.equal(out.acc, 0);
    assert.equal(out.acc3, 0);
    method.dispose();
  }
  encoder.dispose();
});

for (const [label, encoderConfig] of [['CPC encoder (its GRU)', TINY_CPC_ENCODER], ['transformer (own GRU)', TINY_TRANSFORMER]] as const) {
  test(`cpc with a ${label}: every parameter the loss can reach gets a non-zero gradient`, async () => {
    await useBackend('cpu');
    const encoder = buildEncoder(encoderConfig, { seed: 3 });
    const method = build({ steps: 4, numNegatives: 8, contextDim: 16 }, encoder);
    const batch = randomBatch(2, 16, 20, 6, [16, 13]);
    const params = new Map([...encoder.namedParameters(), ...method.parameters()]);
    const { grads } = tf.variableGrads(() => method.loss(batch, contextFor(encoder, batch, 7)).loss, [...params.values()]);
    const norms = new Map([...params].map(([n, v]) => [n, grads[v.name] ? tf.tidy(() => tf.norm(grads[v.name]).dataSync()[0]) : 0]));
    tf.dispose(grads);
    // Not used by CPC: the mask vector (no frame is masked) and, with the method's own GRU, the transformer's context layers.
    const unused = (n: string) => n === 'mask_emb' || (method.contextNetwork !== null && n.startsWith('encoder.'));
    for (const [n, g] of norms) {
      if (unused(n)) assert.equal(g, 0, `${n} is not on CPC's path`);
      else assert.ok(g > 0 && Number.isFinite(g), `gradient of ${n}: ${g}`);
    }
    assert.ok([...norms.keys()].some((n) => n.startsWith('cpc.predictors')), 'heads are checked');
    method.dispose();
    encoder.dispose();
  });
}

test('cpc: trains on 16 FSDD recordings through the Trainer; loss falls, accuracy rises, tensors flat', async () => {
  await useBackend('wasm');
  const { train, tensorCounts } = await trainOnFsdd(TINY_CPC_ENCODER, [{ name: 'cpc', config: { steps: 4, numNegatives: 16 } }], { steps: 20, lr: 5e-3 });
  const loss = train.map((r) => r['cpc/loss'] as number);
  const acc = train.map((r) => r['cpc/acc'] as number);
  assert.ok(Math.abs(loss[0] - Math.log(17)) < 0.5, `starts near log(K + 1) = ${Math.log(17).toFixed(2)}: ${loss[0]}`);
  assert.ok(loss.at(-1)! < loss[0] - 0.3, `loss falls: ${loss.map((v) => v.toFixed(3)).join(' ')}`);
  assert.ok(acc.at(-1)! > acc[0], `accuracy rises: ${acc.map((v) => v.toFixed(3)).join(' ')}`);
  for (const k of ['cpc/acc_1', 'cpc/acc_4']) assert.equal(typeof train[0][k], 'number', k);
  assert.ok(tensorCounts.every((c) => c === tensorCounts[0]), `tensor count flat: ${tensorCounts.join(',')}`);
});
