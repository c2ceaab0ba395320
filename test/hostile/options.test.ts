/**
 * Issue #15, item 3: an option given without its value is an error naming the option (it used to become
 * the string "true": `extract DIR --out` wrote ./true/ with exit 0).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Args } from '../../src/util/args.ts';
import { writeNpy } from '../../src/util/npy.ts';
import { runCli } from '../cli/cli-helpers.ts';
import { wavAtRate } from './corpus.ts';

test('args: a value option at the end or before another option has no value; flags still need none', () => {
  const a = new Args(['in', '--out', '--concat', '--features'], ['concat']);
  assert.throws(() => a.string('out'), /^InputError: --out: needs a value$/);
  assert.throws(() => a.string('features', 'fbank'), /--features: needs a value/);
  assert.throws(() => a.int('out'), /--out: needs a value/);
  assert.equal(a.bool('concat'), true);
  const b = new Args(['--set', 'a=1', '--set']);
  assert.throws(() => b.strings('set'), /--set: needs a value/);
  // A bare option read as a flag is true, and values that look negative are values.
  const c = new Args(['--resume', '--gain', '-3']);
  assert.equal(c.bool('resume'), true);
  assert.equal(c.number('gain'), -3);
});

test('cli: extract, kmeans, export and --features without a value exit 2 naming the option and write nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'novalue-'));
  mkdirSync(join(dir, 'wavs'));
  writeFileSync(join(dir, 'wavs', 'a.wav'), wavAtRate(16000));
  writeNpy(join(dir, 'feats.npy'), new Float32Array(40).fill(1), [10, 4]);
  const cases: [string[], RegExp][] = [
    [['extract', 'wavs', '--out'], /speech-ssl extract: --out: needs a value/],
    [['extract', 'wavs', '--out', '--concat'], /speech-ssl extract: --out: needs a value/],
    [['extract', 'wavs', '--features', '--out', 'o'], /speech-ssl extract: --features: needs a value/],
    [['kmeans', 'feats.npy', '--k', '2', '--out'], /speech-ssl kmeans: --out: needs a value/],
    [['export', 'run', '--out'], /speech-ssl export: --out: needs a value/],
  ];
  for (const [args, why] of cases) {
    const r = await runCli(args, dir);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, why);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  assert.ok(!existsSync(join(dir, 'true')) && !existsSync(join(dir, 'true.npy')), `nothing named "true": ${readdirSync(dir).join(', ')}`);
});
