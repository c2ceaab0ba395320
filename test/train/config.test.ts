import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyOverrides, readConfigFile, readRunConfig, TRAIN_DEFAULTS, OPTIM_DEFAULTS } from '../../src/train/config.ts';

const minimal = { encoder: { kind: 'tiny' }, methods: [{ name: 'hubert' }], data: { train: { features: 'x' } } };

test('run config: defaults fill in; method entries get key = name and weight 1', () => {
  const c = readRunConfig(minimal);
  assert.deepEqual(c.train, TRAIN_DEFAULTS);
  assert.deepEqual(c.optim, OPTIM_DEFAULTS);
  assert.equal(c.optim.lr, 5e-4);
  assert.equal(c.optim.weightDecay, 0.01);
  assert.deepEqual(c.optim.lrScale, {});
  assert.deepEqual(readRunConfig({ ...minimal, optim: { lrScale: { 'byol.predictor.': 10 } } }).optim.lrScale, { 'byol.predictor.': 10 });
  assert.deepEqual(c.methods, [{ name: 'hubert', key: 'hubert', weight: 1, layer: undefined, config: {} }]);
  assert.equal(c.seed, 1);
  assert.equal(c.schedule.kind, 'linear');
});

test('run config: every mistake names the file, the field and what was expected', () => {
  const bad = (over: Record<string, unknown>) => () => readRunConfig({ ...minimal, ...over }, 'run.yaml');
  assert.throws(bad({ optim: { lr: '1e-3' } }), /run\.yaml: optim\.lr: expected a finite number, got "1e-3"/);
  assert.throws(bad({ optim: { lr: -1 } }), /optim\.lr: expected a number >= 0, got -1/);
  assert.throws(bad({ optim: { lrScale: { 'byol.predictor.': -1 } } }), /run\.yaml: optim\.lrScale\.byol\.predictor\.: expected a number >= 0, got -1/);
  assert.throws(bad({ optim: { lrScale: { 'byol.predictor.': null } } }), /optim\.lrScale\.byol\.predictor\.: expected a finite number/);
  assert.throws(bad({ optim: { lrScale: 10 } }), /optim\.lrScale: expected an object, got 10/);
  assert.throws(bad({ train: { maxSteps: 2.5 } }), /train\.maxSteps: expected an integer, got 2\.5/);
  assert.throws(bad({ train: { updatefreq: 2 } }), /train\.updatefreq: unknown field; known fields here: .*updateFreq/);
  assert.throws(bad({ schedule: { kind: 'step' } }), /schedule\.kind: expected one of constant\|linear\|cosine, got "step"/);
  assert.throws(bad({ schedule: { warmupSteps: 5000 } }), /schedule\.warmupSteps: 5000 exceeds train\.maxSteps 1000/);
  assert.throws(bad({ methods: [] }), /methods: expected a non-empty list/);
  assert.throws(bad({ methods: [{ weight: 1 }] }), /methods\[0\]\.name: required/);
  assert.throws(bad({ methods: [{ name: 'a', weight: -1 }] }), /methods\[0\]\.weight: expected a number >= 0/);
  assert.throws(bad({ methods: [{ name: 'a', weightEnd: -0.5 }] }), /methods\[0\]\.weightEnd: expected a number >= 0/);
  assert.throws(bad({ methods: [{ name: 'a', key: '1x' }] }), /methods\[0\]\.key: expected letters/);
  assert.throws(bad({ methods: [{ name: 'a', config: [1] }] }), /methods\[0\]\.config: expected an object/);
  assert.throws(bad({ encoder: {} }), /encoder\.kind: required/);
  assert.throws(bad({ encoder: 'tiny' }), /encoder: expected an object, got "tiny"/);
  assert.throws(bad({ data: {} }), /data\.train: required/);
  assert.throws(bad({ train: { bestMode: 'lowest' } }), /train\.bestMode: expected one of min\|max/);
  assert.throws(bad({ sed: 3 }), /run\.yaml: sed: unknown field/);
});

test('config files: YAML and JSON parse, errors name the file; overrides set nested fields with YAML values', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  writeFileSync(join(dir, 'a.yaml'), 'encoder: {kind: tiny}\nmethods:\n  - name: hubert\ndata: {train: {features: x}}\ntrain: {maxSteps: 20}\n');
  assert.equal(readRunConfig(readConfigFile(join(dir, 'a.yaml'))).train.maxSteps, 20);
  writeFileSync(join(dir, 'b.json'), JSON.stringify(minimal));
  assert.equal(readRunConfig(readConfigFile(join(dir, 'b.json'))).methods[0].name, 'hubert');
  writeFileSync(join(dir, 'c.json'), '{"seed": 1,');
  assert.throws(() => readConfigFile(join(dir, 'c.json')), /c\.json: not valid JSON/);
  writeFileSync(join(dir, 'd.yaml'), 'a: [1, 2\n');
  assert.throws(() => readConfigFile(join(dir, 'd.yaml')), /d\.yaml: not valid YAML/);
  assert.throws(() => readConfigFile(join(dir, 'none.yaml')), /none\.yaml: cannot read config/);

  const o = applyOverrides(minimal, ['optim.lr=1e-4', 'methods.0.weight=0.5', 'train.clipNorm=10', 'data.train.labels=[a.km, b.km]']) as Record<string, Record<string, unknown>>;
  const c = readRunConfig(o);
  assert.equal(c.optim.lr, 1e-4);
  assert.equal(c.methods[0].weight, 0.5);
  assert.equal(c.train.clipNorm, 10);
  assert.deepEqual((c.data.train as Record<string, unknown>).labels, ['a.km', 'b.km']);
  assert.equal((minimal as Record<string, unknown>).optim, undefined, 'the input is not modified');
  assert.throws(() => applyOverrides(minimal, ['optim.lr']), /--set: expected path=value/);
  assert.throws(() => applyOverrides(minimal, ['encoder.kind.x=1']), /"encoder\.kind" is not an object/);
});

test('--set paths given on the command line resolve against the working directory, not the config file', () => {
  const raw = { data: { path: 'in-config', train: { labels: ['a.km'] } }, methods: [{ name: 'distill', config: {} }] };
  const cwd = '/work/somewhere';
  const o = applyOverrides(raw, ['data.path=../shared/data/cifar10', 'data.train.labels=[l1.km, /abs/l2.km]', 'data.valid.features=feats/valid', 'methods.0.config.teacher=runs/t', 'train.maxSteps=5', 'data.train.labels.0=x.km'], { cwd }) as {
    data: { path: string; train: { labels: string[] }; valid: { features: string } };
    methods: { config: { teacher: string } }[];
    train: { maxSteps: number };
  };
  assert.equal(o.data.path, '/work/shared/data/cifar10');
  assert.deepEqual(o.data.train.labels, ['/work/somewhere/x.km', '/abs/l2.km']);
  assert.equal(o.data.valid.features, '/work/somewhere/feats/valid');
  assert.equal(o.methods[0].config.teacher, '/work/somewhere/runs/t');
  assert.equal(o.train.maxSteps, 5);
  // Without cwd (library use), values are kept as given; the config file's own paths are never touched.
  assert.equal((applyOverrides(raw, ['data.path=rel']) as { data: { path: string } }).data.path, 'rel');
  assert.equal(raw.data.path, 'in-config');
});
