/** The batched corpus path: windows sorted by length, per-file outputs and failures, fallback when a batch throws. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FeatureMatrix, Featurizer } from '../../src/features/featurizer.ts';
import { runBatched } from '../../src/features/extract/batched.ts';
import { listInputs, outputPathFor } from '../../src/features/extract/inputs.ts';
import type { ExtractResult } from '../../src/features/extract/process-task.ts';
import { decodeAudio } from '../../src/audio/decode.ts';
import { resample } from '../../src/audio/resample.ts';
import { readNpy } from '../../src/util/npy.ts';
import { writeBadCorpus, writeGoodCorpus } from '../cli/cli-helpers.ts';

/** Frames of 100 samples: [mean, max] of each; a batch holding an utterance of `poison` samples throws, as does that utterance alone. */
function frameStats(w: Float32Array): FeatureMatrix {
  const frames = Math.floor(w.length / 100);
  const data = new Float32Array(frames * 2);
  for (let f = 0; f < frames; f++) {
    let s = 0;
    let m = -Infinity;
    for (let i = f * 100; i < (f + 1) * 100; i++) {
      s += w[i];
      m = Math.max(m, w[i]);
    }
    data[2 * f] = s / 100;
    data[2 * f + 1] = m;
  }
  return { data, frames, dims: 2 };
}

test('runBatched: sorted batches of at most batchSize, outputs equal compute alone, bad files and a throwing batch fail only themselves', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'batched-'));
  writeGoodCorpus(join(dir, 'in'), 9, 0.3);
  const bad = writeBadCorpus(join(dir, 'in'));
  bad.delete('bad/short.wav'); // too short for a 25 ms frame, not for this featurizer
  const items = listInputs([join(dir, 'in')]).items;
  const tasks = items.map((it, i) => ({ index: i, path: it.path, rel: it.rel, out: outputPathFor(join(dir, 'out'), it.rel) }));
  // The poison utterance: the first good file (its length at 16 kHz).
  const good = items.filter((it) => !bad.has(it.rel));
  const first = await decodeAudio(good[0].path);
  const poison = first.sampleRate === 16000 ? first.mono.length : resample(first.mono, first.sampleRate, 16000).length;
  const batches: number[][] = [];
  const featurizer: Featurizer = {
    kind: 'fake', sampleRate: 16000, dims: 2, config: {}, batchSize: 3,
    compute(w) {
      if (w.length === poison) throw new Error('cannot compute this one');
      return frameStats(w);
    },
    async computeBatch(ws) {
      batches.push(ws.map((w) => w.length));
      if (ws.some((w) => w.length === poison)) throw new Error('batch failed');
      return ws.map(frameStats);
    },
  };
  const results: ExtractResult[] = [];
  await runBatched(tasks, featurizer, (r) => results.push(r));
  assert.equal(results.length, tasks.length);
  assert.deepEqual(results.map((r) => r.index).sort((a, b) => a - b), tasks.map((t) => t.index));
  for (const b of batches) {
    assert.ok(b.length >= 1 && b.length <= 3);
    assert.deepEqual(b, [...b].sort((x, y) => x - y), 'sorted by length');
  }
  const byRel = new Map(results.map((r) => [tasks[r.index].rel, r]));
  for (const [rel, why] of bad) {
    const r = byRel.get(rel)!;
    assert.ok(!r.ok && why.test(r.message), `${rel}: ${JSON.stringify(r)}`);
  }
  const p = byRel.get(good[0].rel)!;
  assert.ok(!p.ok && p.message === 'cannot compute this one');
  for (const it of good.slice(1)) {
    const r = byRel.get(it.rel)!;
    assert.ok(r.ok, `${it.rel}: ${JSON.stringify(r)}`);
    const a = await decodeAudio(it.path);
    const w = a.sampleRate === 16000 ? a.mono : resample(a.mono, a.sampleRate, 16000);
    const want = frameStats(w);
    const got = readNpy(outputPathFor(join(dir, 'out'), it.rel));
    assert.deepEqual(got.shape, [want.frames, 2]);
    assert.deepEqual(got.data, want.data);
  }
  assert.ok(!existsSync(outputPathFor(join(dir, 'out'), good[0].rel)));
  // the failed batch's companions were recomputed one by one
  assert.ok(batches.some((b) => b.includes(poison) && b.length > 1));
});
