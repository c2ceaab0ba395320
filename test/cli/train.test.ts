import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { cliPath } from '../helpers/paths.ts';
import { Args } from '../../src/util/args.ts';
import { runTrain } from '../../src/cli/commands/train.ts';
import trainCommand from '../../src/cli/commands/train.ts';
import { useBackend } from '../train/fixtures/backend.ts';
import { buildTinyEncoder, TINY_METHODS, tinyRunConfig, writeTinyShard } from '../train/fixtures/tiny.ts';
import { CheckpointStore } from '../../src/checkpoint/checkpoint.ts';

function workspace(): { dir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cli-train-'));
  writeTinyShard(join(dir, 'feats'), 'train', 16, 3, 1);
  writeTinyShard(join(dir, 'feats'), 'valid', 4, 3, 2);
  const cfg = tinyRunConfig('feats', { train: { maxSteps: 6, updateFreq: 1, logEvery: 2, validEvery: 3, checkpointEvery: 3 } });
  const config = join(dir, 'run.yaml');
  writeFileSync(config, stringify(cfg));
  return { dir, config };
}

test('speech-ssl train: config mistakes exit 2 naming the file and field, before any training', () => {
  const { dir, config } = workspace();
  const run = (...args: string[]) => spawnSync(cliPath, ['train', ...args], { encoding: 'utf8' });
  let r = run('--config', config);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--out: required/);
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, readFileSync(config, 'utf8').replace('lr: 0.01', 'lr: fast'));
  r = run('--config', bad, '--out', join(dir, 'o'), '--backend', 'cpu');
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /bad\.yaml: optim\.lr: expected a finite number, got "fast"/);
  r = run('--config', config, '--out', join(dir, 'o'), '--set', 'train.maxSteps=zero', '--backend', 'cpu');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /train\.maxSteps: expected a finite number, got "zero"/);
  r = run('--config', config, '--out', join(dir, 'o'), '--max-step', '3');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown option: --max-step/);
  assert.match(spawnSync(cliPath, ['train', '--help'], { encoding: 'utf8' }).stdout, /--resume/);
});

test('speech-ssl train (in process, tiny encoder injected): trains, refuses a used --out, resumes to a new --max-steps', async () => {
  await useBackend('cpu');
  const { dir, config } = workspace();
  const out = join(dir, 'run');
  const deps = { buildEncoder: buildTinyEncoder, methods: TINY_METHODS };
  const args = (...a: string[]) => new Args(a, trainCommand.booleanFlags);
  assert.equal(await runTrain(args('--config', config, '--out', out, '--backend', 'cpu', '--no-progress'), deps), 0);
  assert.deepEqual(new CheckpointStore(out).steps().at(-1), 6);
  const saved = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { train: { maxSteps: number }; methods: { config: unknown }[] };
  assert.equal(saved.train.maxSteps, 6);
  assert.deepEqual(saved.methods[1].config, { tau: 0.8 }, 'method configs are stored as read, defaults filled');
  await assert.rejects(runTrain(args('--config', config, '--out', out, '--backend', 'cpu', '--no-progress'), deps), /already holds checkpoints; pass --resume/);
  // --resume without --config reads the run's config.json.
  assert.equal(await runTrain(args('--out', out, '--resume', '--max-steps', '9', '--backend', 'cpu', '--no-progress'), deps), 0);
  assert.equal(new CheckpointStore(out).steps().at(-1), 9);
  const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; split: string });
  assert.deepEqual(rows.filter((r) => r.split === 'train').map((r) => r.step), [2, 4, 6, 8, 9]);
  // A changed architecture cannot resume this run.
  await assert.rejects(
    runTrain(args('--config', config, '--out', out, '--resume', '--set', 'encoder.dim=16', '--backend', 'cpu', '--no-progress'), deps),
    /encoder: the checkpoint's encoder .* differs from the config's/,
  );
});
