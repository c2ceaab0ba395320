import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/util/rng.ts';
import { encodeNpy, decodeNpy, writeNpy, readNpy, readNpyRows } from '../../src/util/npy.ts';
import { Args } from '../../src/util/args.ts';
import { editDistance, nearestName } from '../../src/util/nearest-name.ts';
import { InputError } from '../../src/util/errors.ts';

test('rng: same seed same stream; state save/restore resumes exactly', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  for (let i = 0; i < 10; i++) assert.equal(a.nextU32(), b.nextU32());
  a.normal();
  const st = a.getState();
  const x = [a.next(), a.normal(), a.int(1000)];
  const c = new Rng(0);
  c.setState(st);
  assert.deepEqual([c.next(), c.normal(), c.int(1000)], x);
  assert.notEqual(new Rng(1).nextU32(), new Rng(2).nextU32());
});

test('rng: uniform mean and normal moments are right', () => {
  const r = new Rng(7);
  let s = 0, s2 = 0, u = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const v = r.normal();
    s += v;
    s2 += v * v;
    u += r.next();
  }
  assert.ok(Math.abs(s / n) < 0.03);
  assert.ok(Math.abs(s2 / n - 1) < 0.05);
  assert.ok(Math.abs(u / n - 0.5) < 0.01);
});

test('npy: round trip through bytes and files, header 64-byte aligned, row reads', () => {
  const data = Float32Array.from({ length: 12 }, (_, i) => i * 0.5);
  const bytes = encodeNpy(data, [4, 3]);
  const hdrLen = new DataView(bytes.buffer).getUint16(8, true);
  assert.equal((10 + hdrLen) % 64, 0);
  const back = decodeNpy(bytes);
  assert.deepEqual(back.shape, [4, 3]);
  assert.deepEqual(Array.from(back.data as Float32Array), Array.from(data));
  const dir = mkdtempSync(join(tmpdir(), 'npy-'));
  const f = join(dir, 'sub', 'x.npy');
  writeNpy(f, data, [4, 3]);
  assert.deepEqual(readdirSync(join(dir, 'sub')), ['x.npy']);
  assert.deepEqual(Array.from(readNpy(f).data as Float32Array), Array.from(data));
  assert.deepEqual(Array.from(readNpyRows(f, 1, 3)), [1.5, 2, 2.5, 3, 3.5, 4]);
  assert.throws(() => decodeNpy(bytes.subarray(0, bytes.length - 4), 'cut.npy'), /cut\.npy: truncated data/);
  assert.throws(() => readNpy(join(dir, 'missing.npy')), InputError);
});

test('args: kebab options, booleans, typed getters name the flag, unknown options rejected', () => {
  const a = new Args(['in', '--num-mel-bins', '80', '--concat', '--frame-shift=10', 'more', '--no-resume'], ['concat', 'resume']);
  assert.deepEqual(a.positionals, ['in', 'more']);
  assert.equal(a.int('num-mel-bins'), 80);
  assert.equal(a.number('frame-shift'), 10);
  assert.equal(a.bool('concat'), true);
  assert.equal(a.bool('resume', true), false);
  a.rejectUnknown();
  const b = new Args(['--jobs', 'two', '--typo', '1']);
  assert.throws(() => b.int('jobs'), /--jobs: expected a number/);
  assert.throws(() => b.rejectUnknown(), /unknown option: --typo$/);
  const c = new Args(['--threads', '0', '--jobs', '3']);
  assert.throws(() => c.positiveInt('threads'), /--threads: expected a positive integer, got 0/);
  assert.equal(c.positiveInt('jobs', 1), 3);
  assert.equal(c.positiveInt('batch', 2), 2);
  assert.equal(c.positiveInt('missing'), undefined);
});

test('args: an unknown option names the nearest option the command reads, asks about, or takes as a flag', () => {
  const a = new Args(['--num-mel-bin', '80', '--frame-shfit', '10', '--concta', '--no-resum', '--xyz', '1'], ['concat', 'resume']);
  a.int('num-mel-bins');
  a.has('frame-shift');
  assert.throws(
    () => a.rejectUnknown(),
    (e: Error) => e.message === 'unknown options: --num-mel-bin (did you mean --num-mel-bins?), --frame-shfit (did you mean --frame-shift?), --concta (did you mean --concat?), --no-resum (did you mean --no-resume?), --xyz',
  );
});

test('nearestName: a plausible typo (edits, a swap, a prefix) finds its name; an unrelated word does not', () => {
  assert.equal(editDistance('frame-shfit', 'frame-shift'), 1);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'abc'), 3);
  const known = ['num-mel-bins', 'num-ceps', 'frame-shift', 'frame-length', 'out'];
  assert.equal(nearestName('num-mel-bin', known), 'num-mel-bins');
  assert.equal(nearestName('frmae-length', known), 'frame-length');
  assert.equal(nearestName('num-c', known), 'num-ceps');
  assert.equal(nearestName('num', known), undefined, 'a prefix of two names is ambiguous');
  assert.equal(nearestName('seed', known), undefined);
  assert.equal(nearestName('ot', known), 'out');
});
