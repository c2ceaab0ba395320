/**
 * Issue #15, item 6: a full disk (ENOSPC) or a read-only output folder (EROFS) ends with each file's
 * failure reported, a summary and exit status 1, no stack trace, what finished kept and no temp files
 * left, instead of a stack trace and a lost failures.tsv.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { readNpy } from '../../src/util/npy.ts';
import { writeGoodCorpus } from '../cli/cli-helpers.ts';
import { withFaultyDisk } from './faulty-disk.ts';
import { Args } from '../../src/util/args.ts';
import { runTrain } from '../../src/cli/commands/train.ts';
import { describeWriteFailure, isWriteFailure } from '../../src/util/write-failure.ts';
import { buildTinyEncoder, TINY_METHODS, tinyRunConfig, writeTinyShard } from '../train/fixtures/tiny.ts';

/** Runs the CLI in this process (the fault injection lives here), capturing stderr. */
async function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  const write = process.stderr.write.bind(process.stderr);
  let stderr = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await main(args), stderr };
  } finally {
    process.stderr.write = write;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'write-failures-'));
const wavs = join(dir, 'wavs');
const rels = writeGoodCorpus(wavs, 6, 0.5);

test('extract onto a disk that fills up: the first files stay, each later one is reported, exit 1', async () => {
  const out = join(dir, 'full');
  mkdirSync(out);
  // Room for features.json and about two utterances' features.
  const r = await withFaultyDisk(out, 'ENOSPC', 60_000, () => cli(['extract', wavs, '--out', out]));
  assert.equal(r.code, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  const written = rels.filter((rel) => existsSync(join(out, rel.replace(/\.\w+$/, '.npy'))));
  assert.ok(written.length >= 1 && written.length < rels.length, `some finished before the disk filled (${written.length})`);
  for (const rel of written) assert.equal(readNpy(join(out, rel.replace(/\.\w+$/, '.npy'))).shape[1], 80, `${rel} is whole`);
  const failed = rels.length - written.length;
  assert.equal((r.stderr.match(/: cannot write \S+\.npy: no space left on the device \(ENOSPC\)/g) ?? []).length, failed, r.stderr);
  assert.match(r.stderr, new RegExp(`${written.length} written, 0 already done, ${failed} failed`));
  assert.match(r.stderr, /failures\.tsv not written \(cannot write .*ENOSPC\)\): the failures are the lines above/);
  const left = readdirSync(out, { recursive: true }) as string[];
  assert.ok(!left.some((f) => f.endsWith('.tmp')), `no temp files: ${left.join(', ')}`);
  // Once there is room again, a rerun finishes the rest and keeps what was done.
  const again = await cli(['extract', wavs, '--out', out]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, new RegExp(`${failed} written, ${written.length} already done, 0 failed`));
});

test('extract --concat onto a full disk: no shard file, no temp files, exit 1 with the reason', async () => {
  const out = join(dir, 'full-concat');
  mkdirSync(out);
  const r = await withFaultyDisk(out, 'ENOSPC', 30_000, () => cli(['extract', wavs, '--out', out, '--concat', '--split', 'train']));
  assert.equal(r.code, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.match(r.stderr, /train_0_1\.npy NOT written: cannot write \S+train_0_1\.npy: no space left on the device \(ENOSPC\)/);
  assert.deepEqual(readdirSync(out), ['features.json']);
});

test('extract into a read-only folder: one line naming the file and the reason, exit 1', async () => {
  const out = join(dir, 'readonly');
  mkdirSync(out);
  const r = await withFaultyDisk(out, 'EROFS', 0, () => cli(['extract', wavs, '--out', out]));
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr.trim(), `speech-ssl extract: cannot write ${join(out, 'features.json')}: read-only file system (EROFS)`, r.stderr);
  assert.equal(statSync(out).isDirectory() && readdirSync(out).length, 0);
});

test('train onto a disk that fills up at a checkpoint: a write failure naming the checkpoint, lock released, no temp folder', async () => {
  const feats = join(dir, 'feats');
  writeTinyShard(feats, 'train', 8, 3, 1);
  const config = tinyRunConfig(feats, {
    data: { kind: 'features', train: { features: join(feats, 'train') }, batchSize: 4, maxFrames: 16 },
    train: { maxSteps: 4, updateFreq: 1, logEvery: 1, checkpointEvery: 2, keepLast: 2 },
  });
  const file = join(dir, 'train.json');
  writeFileSync(file, JSON.stringify(config));
  const out = join(dir, 'train-full');
  mkdirSync(join(out, 'checkpoints'), { recursive: true });
  const failure = await withFaultyDisk(join(out, 'checkpoints'), 'ENOSPC', 0, () =>
    runTrain(new Args(['--config', file, '--out', out, '--backend', 'cpu', '--no-progress'], ['resume', 'progress']), { buildEncoder: buildTinyEncoder, methods: TINY_METHODS }).then(
      () => undefined,
      (e: unknown) => e,
    ),
  );
  assert.ok(isWriteFailure(failure), `a write failure: ${String(failure)}`);
  assert.equal(describeWriteFailure(failure), `cannot write ${join(out, 'checkpoints', 'step-000000002', 'model.json')}: no space left on the device (ENOSPC)`);
  assert.deepEqual(readdirSync(join(out, 'checkpoints')), [], 'the half-written checkpoint folder is removed');
  assert.ok(!existsSync(join(out, '.lock')), 'the lock is released');
  assert.equal(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').length, 2, 'the steps done are logged');
});
