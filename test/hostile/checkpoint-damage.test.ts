/**
 * Issue #15, item 7: a flipped byte in a checkpoint's tensor data is caught by its checksum, and `--resume`
 * falls back to the newest intact checkpoint, saying which one it skipped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTinyEncoder, TINY_METHODS, tinyRunConfig, writeTinyShard } from '../train/fixtures/tiny.ts';
import { useBackend } from '../train/fixtures/backend.ts';
import { buildRun, resumeLatest } from '../../src/train/run.ts';
import { CheckpointStore, loadCheckpoint } from '../../src/checkpoint/checkpoint.ts';
import { CHECKSUM_FILE } from '../../src/checkpoint/checksums.ts';

function flipByte(file: string, fromEnd: number): void {
  const b = readFileSync(file);
  b[b.length - fromEnd] ^= 0x01;
  writeFileSync(file, b);
}

test('checkpoints: checksums written and checked; resume skips a damaged newest checkpoint', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ckpt-damage-'));
  const feats = join(dir, 'feats');
  writeTinyShard(feats, 'train', 12, 3, 1);
  const config = tinyRunConfig(feats, {
    data: { kind: 'features', train: { features: join(feats, 'train') }, batchSize: 4, maxFrames: 16 },
    train: { maxSteps: 6, updateFreq: 1, logEvery: 2, checkpointEvery: 2, keepLast: 3 },
  });
  await useBackend('cpu');
  const deps = { buildEncoder: buildTinyEncoder, methods: TINY_METHODS };
  const out = join(dir, 'run');
  const run = await buildRun(config, { baseDir: dir, outDir: out, deps });
  await run.trainer.run();
  run.dispose();
  const store = new CheckpointStore(out);
  assert.deepEqual(store.steps(), [2, 4, 6]);

  // The checksum file is sha256sum's own layout.
  const step6 = store.pathOf(6);
  assert.match(readFileSync(join(step6, CHECKSUM_FILE), 'utf8'), /^[0-9a-f]{64} {2}model\.json\n[0-9a-f]{64} {2}weights\.safetensors\n/);
  execFileSync('sha256sum', ['-c', '--quiet', CHECKSUM_FILE], { cwd: step6 });

  // One flipped bit in the last tensor's data of step 6, and a damaged optimizer file in step 4.
  flipByte(join(step6, 'weights.safetensors'), 3);
  flipByte(join(store.pathOf(4), 'optimizer.safetensors'), 5);
  assert.throws(() => loadCheckpoint(step6), /weights\.safetensors: checksum mismatch: the file is damaged/);

  const skipped: string[] = [];
  const resumed = await buildRun({ ...config, train: { ...(config.train as object), maxSteps: 8 } }, { baseDir: dir, outDir: out, deps });
  const from = resumeLatest(resumed, (d, problem) => skipped.push(`${d}: ${problem}`));
  assert.equal(from, store.pathOf(2));
  assert.equal(resumed.trainer.step, 2);
  assert.equal(skipped.length, 2);
  assert.match(skipped[0], /step-000000006: .*weights\.safetensors: checksum mismatch/);
  assert.match(skipped[1], /step-000000004: .*optimizer\.safetensors: checksum mismatch/);
  assert.ok(existsSync(`${step6}.damaged`) && existsSync(`${store.pathOf(4)}.damaged`), 'the damaged checkpoints are kept aside for inspection');
  await resumed.trainer.run();
  resumed.dispose();
  assert.deepEqual(store.steps(), [4, 6, 8]);
});
