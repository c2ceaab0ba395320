import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTinyEncoder, TINY_METHODS, tinyRunConfig, writeTinyShard } from './fixtures/tiny.ts';
import { useBackend } from './fixtures/backend.ts';
import { buildRun, resumeLatest } from '../../src/train/run.ts';
import { readSafetensors } from '../../src/checkpoint/safetensors.ts';
import { CheckpointStore } from '../../src/checkpoint/checkpoint.ts';
import { repoRoot } from '../helpers/paths.ts';

/**
 * `--resume` continues exactly: runs killed with SIGKILL (after an update, or in the middle of writing a
 * checkpoint) and resumed end with bitwise the same weights, optimiser moments and logged metrics as a
 * run that never stopped. Each run is a child process, as a real kill would leave things.
 */
const child = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'child-train.ts');

function runChild(args: object): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, JSON.stringify(args)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code, signal) => resolveRun({ code, signal, stdout, stderr }));
  });
}

/** metrics.jsonl without the wall-clock fields. */
function metricsWithoutTiming(out: string): unknown[] {
  return readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const row = JSON.parse(l) as Record<string, unknown>;
      delete row.steps_per_s;
      delete row.tensors;
      return row;
    });
}

function finalTensors(out: string, file: string): Map<string, number[]> {
  const dir = new CheckpointStore(out).pathOf(12);
  return new Map([...readSafetensors(join(dir, file)).tensors].map(([n, t]) => [n, Array.from(t.data)]));
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`resume (${backend}): killed after an update or during a checkpoint write, resumed runs end bitwise equal to an uninterrupted one`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'resume-'));
    const feats = join(dir, 'feats');
    writeTinyShard(feats, 'train', 20, 3, 1);
    writeTinyShard(feats, 'valid', 4, 3, 2);
    const config = tinyRunConfig(feats, { train: { maxSteps: 12, updateFreq: 2, clipNorm: 0.5, logEvery: 2, validEvery: 4, checkpointEvery: 4, keepLast: 3 } });
    const base = { backend, config, baseDir: dir };
    const outA = join(dir, 'a');
    const outB = join(dir, 'b');
    const outC = join(dir, 'c');

    // The two runs that get killed are child processes; the uninterrupted run and the resumptions run here
    // meanwhile (a resumption only sees what the killed process left on disk).
    const killed = Promise.all([
      runChild({ ...base, out: outB, kill: { checkpointStep: 8, afterFile: 'weights.safetensors' } }),
      runChild({ ...base, out: outC, kill: { afterUpdate: 6 } }),
    ]);
    await useBackend(backend);
    const deps = { buildEncoder: buildTinyEncoder, methods: TINY_METHODS };
    const runA = await buildRun(config, { baseDir: dir, outDir: outA, deps });
    await runA.trainer.run();
    runA.dispose();
    const [b1, c1] = await killed;
    assert.equal(b1.signal, 'SIGKILL', `b should die in the checkpoint write: ${b1.stderr}`);
    assert.equal(c1.signal, 'SIGKILL', `c should die after update 6: ${c1.stderr}`);
    // The interrupted write left its temporary folder and no step-8 checkpoint; c had written step 4 only.
    assert.deepEqual(new CheckpointStore(outB).steps(), [4]);
    assert.deepEqual(new CheckpointStore(outC).steps(), [4]);
    assert.ok(readdirSync(join(outB, 'checkpoints')).some((n) => n.startsWith('.step-000000008')), 'a half-written folder is left');

    for (const out of [outB, outC]) {
      const run = await buildRun(config, { baseDir: dir, outDir: out, deps });
      assert.equal(resumeLatest(run), new CheckpointStore(out).pathOf(4));
      assert.equal(run.trainer.step, 4);
      await run.trainer.run();
      run.dispose();
    }
    assert.ok(!readdirSync(join(outB, 'checkpoints')).some((n) => n.startsWith('.')), 'temporary folders are cleaned on resume');

    const weightsA = finalTensors(outA, 'weights.safetensors');
    const optA = finalTensors(outA, 'optimizer.safetensors');
    assert.ok(weightsA.has('ema.target.weight') && optA.has('encoder.proj.weight.exp_avg'));
    for (const out of [outB, outC]) {
      assert.deepEqual(finalTensors(out, 'weights.safetensors'), weightsA, `${out}: weights and EMA buffers bitwise equal`);
      assert.deepEqual(finalTensors(out, 'optimizer.safetensors'), optA, `${out}: optimiser moments bitwise equal`);
      assert.deepEqual(metricsWithoutTiming(out), metricsWithoutTiming(outA), `${out}: metrics.jsonl equal`);
      const trainerJson = (o: string) => {
        const t = JSON.parse(readFileSync(join(new CheckpointStore(o).pathOf(12), 'trainer.json'), 'utf8')) as Record<string, unknown>;
        delete t.elapsed;
        return t;
      };
      assert.deepEqual(trainerJson(out), trainerJson(outA), `${out}: trainer state equal`);
    }
  });
}
