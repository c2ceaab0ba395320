/**
 * Issue #15, item 4: two runs into one folder. Temp names are unique per process and a cleanup takes only
 * temps whose owner is gone, so two `extract` runs into one folder both finish; `train` holds a lock on
 * its run folder, so a second `train` into it is refused while the first runs, and a lock left by a killed
 * process is taken over.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStaleTemp, tempOwner, tempPathFor } from '../../src/util/atomic.ts';
import { acquireFolderLock, LOCK_FILE } from '../../src/util/folder-lock.ts';
import { removeStaleTemps } from '../../src/features/extract/run-extract.ts';
import { Args } from '../../src/util/args.ts';
import { runTrain } from '../../src/cli/commands/train.ts';
import { readNpy } from '../../src/util/npy.ts';
import { runCli, writeGoodCorpus } from '../cli/cli-helpers.ts';

/** The pid of a process that has exited (not reused this soon). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

test('temp names: unique per call, carry the pid; only temps of processes that are gone are stale', () => {
  const a = tempPathFor('/x/y/out.npy');
  const b = tempPathFor('/x/y/out.npy');
  assert.notEqual(a, b);
  assert.deepEqual(tempOwner(a.slice('/x/y/'.length)), { target: 'out.npy', pid: process.pid });
  const dead = deadPid();
  assert.equal(isStaleTemp(`.out.npy.${process.pid}.00ff.tmp`), false);
  assert.equal(isStaleTemp(`.out.npy.${dead}.00ff.tmp`), true);
  const dir = mkdtempSync(join(tmpdir(), 'temps-'));
  const live = `.u.npy.${process.pid}.aa.tmp`;
  const gone = `.u.npy.${dead}.bb.tmp`;
  for (const n of [live, gone]) writeFileSync(join(dir, n), 'partial');
  assert.equal(removeStaleTemps([join(dir, 'u.npy')]), 1);
  assert.deepEqual(readdirSync(dir), [live]);
});

test('two extract runs into one folder at once (with and without --concat) both finish with the right output', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'two-extracts-'));
  writeGoodCorpus(join(dir, 'wavs'), 6, 0.3);
  for (const extra of [['--concat', '--split', 'train'], []]) {
    const out = join(dir, extra.length ? 'concat' : 'files');
    const [r1, r2] = await Promise.all([runCli(['extract', 'wavs', '--out', out, ...extra], dir), runCli(['extract', 'wavs', '--out', out, ...extra], dir)]);
    for (const r of [r1, r2]) {
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /ENOENT|\n\s+at /);
    }
    const files = readdirSync(out);
    assert.ok(!files.some((f) => f.endsWith('.tmp')), `no temp files left: ${files.join(', ')}`);
    if (extra.length) {
      const shard = readNpy(join(out, 'train_0_1.npy'));
      const lens = readFileSync(join(out, 'train_0_1.len'), 'utf8').trim().split('\n').map(Number);
      assert.equal(lens.length, 6);
      assert.equal(shard.shape[0], lens.reduce((x, y) => x + y, 0));
    }
  }
});

test('folder lock: refused while a live process holds it, taken over from a dead one, released after', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lock-'));
  const holder = spawn('sleep', ['30']);
  try {
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: holder.pid, host: hostname(), started: '2026-12-07T19:00:00Z', command: 'speech-ssl train --out r' }));
    assert.throws(() => acquireFolderLock(dir, 'second'), new RegExp(`${dir}: is in use by process ${holder.pid}, \`speech-ssl train --out r\` since 2026-12-07T19:00:00Z; wait for it to finish or choose another folder`));
  } finally {
    holder.kill('SIGKILL');
  }
  const dead = deadPid();
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: dead, host: hostname(), started: 'then', command: 'killed' }));
  const lock = acquireFolderLock(dir, 'mine');
  assert.equal(lock.tookOverFrom?.pid, dead);
  assert.equal((JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { pid: number }).pid, process.pid);
  lock.release();
  assert.ok(!existsSync(join(dir, LOCK_FILE)));
  assert.deepEqual(readdirSync(dir), [], 'no temp files left');
});

test('train refuses a run folder another live process holds, before writing anything', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'train-lock-'));
  const holder = spawn('sleep', ['30']);
  try {
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: holder.pid, host: hostname(), started: 'now', command: 'speech-ssl train --out run --resume' }));
    writeFileSync(join(dir, 'run.json'), '{}');
    await assert.rejects(runTrain(new Args(['--config', join(dir, 'run.json'), '--out', dir, '--resume'], ['resume'])), new RegExp(`is in use by process ${holder.pid}`));
    assert.deepEqual(readdirSync(dir).sort(), [LOCK_FILE, 'run.json']);
  } finally {
    holder.kill('SIGKILL');
  }
});
