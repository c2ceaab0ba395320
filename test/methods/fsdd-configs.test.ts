import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useBackend } from '../train/fixtures/backend.ts';
import { buildFsddRun, readRows } from './fixtures/fsdd-run.ts';
import { writeFsddShard } from './fixtures/fsdd-fbank-shard.ts';
import { applyOverrides, readConfigFile } from '../../src/train/config.ts';
import { repoRoot } from '../helpers/paths.ts';

const CONF = join(repoRoot, 'recipes/fsdd/conf');

/**
 * The FSDD recipe configs as shipped: each one builds through the real registries and makes two updates
 * on a slice of FSDD as the recipe's run.sh feeds them (80-bin fbank at 16 kHz, no CMVN; train and valid
 * sets, labels for every method), with finite losses for every method, in training and validation.
 */
test('recipes/fsdd/conf: cpc, wav2vec2, temporal-gap and the joint hubert-cpc-gap configs build and train', async () => {
  await useBackend('wasm');
  const dir = mkdtempSync(join(tmpdir(), 'fsdd-conf-'));
  const feats = await writeFsddShard(join(dir, 'feats'), 'train', { digits: [0, 1, 2, 3], speakers: ['george', 'theo'], takes: [0], melBins: 80, sampleRate: 16000, cmvn: 'none' });
  // Labels for hubert: 4 classes from the first two fbank columns' signs, one per 10 ms frame.
  const lens = readFileSync(`${feats}_0_1.len`, 'utf8').trim().split('\n').map(Number);
  writeFileSync(join(dir, 'train.km'), lens.map((n, u) => Array.from({ length: n }, (_, t) => (t + u) % 4).join(' ')).join('\n') + '\n');
  for (const [file, keys] of [
    ['cpc.yaml', ['cpc/loss', 'cpc/acc_12']],
    ['wav2vec2.yaml', ['wav2vec2/loss', 'wav2vec2/code_perplexity', 'wav2vec2/temperature']],
    ['temporal-gap.yaml', ['temporal-gap/loss', 'temporal-gap/acc']],
    ['hubert-cpc-gap.yaml', ['hubert/loss', 'cpc/loss', 'gap/loss']],
  ] as const) {
    const km = JSON.stringify([join(dir, 'train.km')]);
    const sets = [`data.train.features=${feats}`, `data.train.labels=${km}`, `data.valid.features=${feats}`, `data.valid.labels=${km}`];
    const raw = applyOverrides(readConfigFile(join(CONF, file)), [...sets, 'train.maxSteps=2', 'train.logEvery=1', 'train.checkpointEvery=0', 'schedule.warmupSteps=1']);
    const out = join(dir, file);
    const run = await buildFsddRun(raw as Record<string, unknown>, CONF, out);
    try {
      await run.trainer.run();
    } finally {
      run.dispose();
    }
    const rows = readRows(out);
    const last = rows.filter((r) => r.split === 'train').at(-1)!;
    const valid = rows.filter((r) => r.split === 'valid').at(-1)!;
    for (const k of keys) assert.ok(Number.isFinite(last[k] as number), `${file}: ${k} = ${last[k]}`);
    for (const k of keys.filter((k) => k.endsWith('/loss'))) assert.ok(Number.isFinite(valid[`valid/${k}`] as number), `${file}: valid/${k} = ${valid[`valid/${k}`]}`);
  }
});
