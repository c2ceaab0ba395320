import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../src/engine/backend.ts';
import { fsddSlice, registryBuilder, tinyTransformer } from './methods/fixtures/fsdd-slice.ts';
import { METHODS } from '../src/methods/registry.ts';
import { buildRun } from '../src/train/run.ts';
await initBackend('wasm');
const feats = await fsddSlice();
const variants = JSON.parse(process.argv[2]);
for (const v of variants) {
  const dir = mkdtempSync(join(tmpdir(), 'x-'));
  const run = await buildRun({
    seed: 11, encoder: tinyTransformer(1, 16),
    methods: [{ name: 'byol', config: { projectionDim: 16, hiddenDim: 32, tauBase: v.tau, views: { frames: 24, memorySize: 16 }, ...(v.m ?? {}) } }],
    data: { kind: 'features', train: { features: join(feats, 'train') }, batchSize: 8 },
    optim: { lr: v.lr, weightDecay: 0 }, schedule: { kind: 'constant' }, train: { maxSteps: v.steps ?? 30, logEvery: 5, validEvery: 0, checkpointEvery: 0 },
  }, { baseDir: dir, outDir: join(dir, 'out'), deps: { buildEncoder: registryBuilder, methods: METHODS } });
  const t = Date.now();
  await run.trainer.run();
  const rows = readFileSync(join(dir, 'out', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  console.log(JSON.stringify(v), ((Date.now() - t) / 1000).toFixed(1) + 's', 'loss', rows.map((r) => r['byol/loss'].toFixed(3)).join(' '), 'ratio', rows.map((r) => r['byol/proj_std_ratio'].toFixed(2)).join(' '));
  run.dispose();
}
