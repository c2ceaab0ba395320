import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTinyOrRealEncoder, TINY_METHODS, tinyRunConfig, writeTinyShard } from './fixtures/tiny.ts';
import { useBackend } from './fixtures/backend.ts';
import { buildRun, resumeLatest } from '../../src/train/run.ts';
import { readSafetensors } from '../../src/checkpoint/safetensors.ts';
import { CheckpointStore } from '../../src/checkpoint/checkpoint.ts';
import { AUDIO_TRANSFORMER_PRESETS } from '../../src/models/audio-transformer-config.ts';
import { repoRoot } from '../helpers/paths.ts';

/**
 * Exact resume with dropout on: a real audio-transformer with the tiny preset's dropout (0.1 after
 * attention and the feed-forward block, on the attention weights and on the input), narrowed so a step
 * takes milliseconds. Runs killed with SIGKILL between checkpoints and in the middle of a checkpoint write,
 * then resumed, end with bitwise the weights of a run that never stopped. Before dropout drew from streams
 * of (seed, step, micro-batch, method), each module's generator advanced across steps and was not in the
 * checkpoint, and the resumed weights differed.
 */
const child = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'child-train.ts');

function runChild(args: object): Promise<{ signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, JSON.stringify(args)], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (_code, signal) => resolveRun({ signal, stderr }));
  });
}

const tiny = AUDIO_TRANSFORMER_PRESETS.tiny;
const encoder = {
  kind: 'audio-transformer', preset: 'tiny', frontend: 'linear', inputDim: 3, dim: 16, layers: 2, heads: 2, ffnDim: 32, posConv: null,
};

function finalWeights(out: string, step: number): Map<string, number[]> {
  const file = join(new CheckpointStore(out).pathOf(step), 'weights.safetensors');
  return new Map([...readSafetensors(file).tensors].map(([n, t]) => [n, Array.from(t.data)]));
}

test('resume with the tiny preset\'s dropout: killed between checkpoints or while writing one, resumed runs end bitwise equal', async () => {
  assert.ok(tiny.dropout > 0 && tiny.attentionDropout > 0 && tiny.inputDropout > 0, 'the preset trains with dropout');
  const dir = mkdtempSync(join(tmpdir(), 'resume-dropout-'));
  const feats = join(dir, 'feats');
  writeTinyShard(feats, 'train', 16, 3, 1);
  const config = tinyRunConfig(feats, {
    encoder,
    data: { kind: 'features', train: { features: join(feats, 'train') }, batchSize: 4, maxFrames: 16 },
    train: { maxSteps: 10, updateFreq: 2, logEvery: 2, checkpointEvery: 4, keepLast: 3 },
  });
  const base = { backend: 'cpu', config, baseDir: dir };
  const [outA, outB, outC] = ['a', 'b', 'c'].map((n) => join(dir, n));
  const killed = Promise.all([
    runChild({ ...base, out: outB, kill: { afterUpdate: 6 } }),
    runChild({ ...base, out: outC, kill: { checkpointStep: 8, afterFile: 'optimizer.safetensors' } }),
  ]);
  await useBackend('cpu');
  const deps = { buildEncoder: buildTinyOrRealEncoder, methods: TINY_METHODS };
  const runA = await buildRun(config, { baseDir: dir, outDir: outA, deps });
  await runA.trainer.run();
  runA.dispose();
  const [b, c] = await killed;
  assert.equal(b.signal, 'SIGKILL', b.stderr);
  assert.equal(c.signal, 'SIGKILL', c.stderr);
  for (const out of [outB, outC]) {
    assert.deepEqual(new CheckpointStore(out).steps(), [4], `${out}: only step 4 is complete`);
    const run = await buildRun(config, { baseDir: dir, outDir: out, deps });
    assert.equal(resumeLatest(run), new CheckpointStore(out).pathOf(4));
    await run.trainer.run();
    run.dispose();
  }
  const a = finalWeights(outA, 10);
  assert.ok([...a.keys()].some((k) => k.includes('self_attn')), 'the real encoder was trained');
  for (const out of [outB, outC]) {
    const w = finalWeights(out, 10);
    let differing = 0;
    for (const [k, v] of a) differing += v.filter((x, i) => x !== w.get(k)![i]).length;
    assert.equal(differing, 0, `${out}: ${differing} weights differ from the uninterrupted run`);
    const rows = (o: string) => readFileSync(join(o, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => { const r = JSON.parse(l) as Record<string, unknown>; delete r.steps_per_s; delete r.tensors; return r; });
    assert.deepEqual(rows(out), rows(outA));
  }
});
