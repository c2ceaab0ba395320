import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.ts';
import { buildRun, resumeLatest } from '../../src/train/run.ts';
import { buildEncoder } from '../../src/models/registry.ts';
import { loadCheckpoint } from '../../src/checkpoint/checkpoint.ts';
import { DIGITS_CSV, TINY_VIT } from './image-setup.ts';

/**
 * The three image methods on one ViT, resumed from a checkpoint halfway, end with bitwise the weights (and
 * the masked-patch tokenizer's centroids) of a run that never stopped: views, rotations, masks and the data
 * order all come from seeded, checkpointed state.
 */
function config(maxSteps: number): Record<string, unknown> {
  return {
    seed: 6,
    encoder: TINY_VIT,
    methods: [
      { name: 'rotation', config: { allRotations: false } },
      { name: 'simclr', weight: 0.5, config: { projectorHidden: 16, projectorDim: 8, views: { preset: 'digits' } } },
      { name: 'masked-patch', config: { k: 8, fitImages: 50 } },
    ],
    data: { kind: 'image', source: 'digits-csv', path: DIGITS_CSV, maxTrain: 40, batchSize: 8 },
    optim: { lr: 3e-3 },
    schedule: { kind: 'constant' },
    train: { maxSteps, logEvery: 1, checkpointEvery: 2 },
  };
}

const deps = { buildEncoder: (c: Record<string, unknown>, ctx: { seed: number }) => buildEncoder(c, { seed: ctx.seed }) };

async function train(maxSteps: number, outDir: string, resume: boolean): Promise<void> {
  const run = await buildRun(config(maxSteps), { baseDir: outDir, outDir, deps });
  try {
    if (resume) assert.ok(resumeLatest(run), 'a checkpoint to resume from');
    await run.trainer.run();
  } finally {
    run.dispose();
  }
}

test('image methods: a resumed run matches an uninterrupted one bitwise', async () => {
  await initBackend('cpu');
  const whole = mkdtempSync(join(tmpdir(), 'image-resume-a-'));
  const split = mkdtempSync(join(tmpdir(), 'image-resume-b-'));
  await train(4, whole, false);
  await train(2, split, false);
  await train(4, split, true);
  const a = loadCheckpoint(join(whole, 'checkpoints', 'step-000000004'));
  const b = loadCheckpoint(join(split, 'checkpoints', 'step-000000004'));
  assert.ok(a.weights.has('masked-patch.centroids') && a.weights.has('simclr.projector.layers.0.weight') && a.weights.has('rotation.head.layers.0.weight'));
  for (const [name, t] of a.weights) assert.deepEqual(Array.from(b.weights.get(name)!.data), Array.from(t.data), name);
  assert.deepEqual(b.trainer.data, a.trainer.data);
});
