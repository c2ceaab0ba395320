import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/util/rng.ts';
import { writeNpy, readNpy } from '../../src/util/npy.ts';
import { parseFieldSpec, fieldOf, encodeValues, splitByLists } from '../../src/eval/utterance-fields.ts';
import { cliPath } from '../helpers/paths.ts';

test('fields from FSDD-style names, regexes, value encoding, list splits', () => {
  const f0 = parseFieldSpec('0', 'x'), f1 = parseFieldSpec('1', 'x');
  assert.equal(fieldOf('recordings/7_jackson_32.wav', f0), '7');
  assert.equal(fieldOf('7_jackson_32', f1), 'jackson');
  assert.equal(fieldOf('yes/abc_nohash_0.wav', parseFieldSpec('^([a-z]+)/', 'x')), 'yes');
  assert.throws(() => fieldOf('a_b', parseFieldSpec('3', 'x')), /"a_b" has no field 3/);
  assert.throws(() => parseFieldSpec('(', '--label-field'), /--label-field: not a field index or a valid regex/);
  assert.deepEqual(encodeValues(['10', '9', 'x', '9']).names, ['9', '10', 'x']);
  const fold = splitByLists(['a/1.npy', 'a/2', 'b/3'], ['a/1.wav', 'b/3'], ['a/2.wav']);
  assert.deepEqual([fold.train, fold.test], [[0, 2], [1]]);
  assert.throws(() => splitByLists(['a'], ['a'], ['zz']), /1 name\(s\) of the test list have no features \(zz\)/);
});

function run(...args: string[]) {
  const r = spawnSync(cliPath, args, { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('speech-ssl eval probe / knn / pnmi / abx on a per-utterance folder named {digit}_{speaker}_{index}', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eval-'));
  const rng = new Rng(6);
  const dims = 4;
  const names: string[] = [];
  for (const spk of ['ann', 'bob', 'cyd']) {
    for (let digit = 0; digit < 3; digit++) {
      for (let i = 0; i < 4; i++) {
        const frames = 6 + rng.int(4);
        const x = new Float32Array(frames * dims);
        for (let t = 0; t < frames; t++) {
          x[t * dims] = 40 + rng.normal(); // "c0": loud, every frame speech
          x[t * dims + 1 + digit] = 3 + 0.3 * rng.normal();
        }
        const name = `${digit}_${spk}_${i}`;
        names.push(name);
        writeNpy(join(dir, 'feats', `${name}.npy`), x, [frames, dims]);
      }
    }
  }
  const feats = join(dir, 'feats');
  const probe = run('eval', 'probe', feats, '--out', join(dir, 'probe.json'));
  assert.equal(probe.code, 0, probe.err);
  assert.match(probe.out, /fold\s+train\s+test\s+acc probe/);
  const pj = JSON.parse(readFileSync(join(dir, 'probe.json'), 'utf8'));
  assert.deepEqual(pj.folds.map((f: { fold: string }) => f.fold), ['ann', 'bob', 'cyd']);
  assert.equal(pj.mean.probe, 1);
  const knn = run('eval', 'knn', feats, '--k', '3,9');
  assert.equal(knn.code, 0, knn.err);
  assert.equal(JSON.parse(knn.out.trim().split('\n').pop()!).mean['k=3'], 1);
  // Cluster ids = the digit for every frame: PNMI 1 against the digit over speech frames.
  names.sort(); // the folder is read in sorted path order
  const km = names.map((n) => {
    const frames = readNpy(join(feats, `${n}.npy`)).shape[0];
    return new Array(frames).fill(n[0]).join(' ');
  });
  writeFileSync(join(dir, 'x.km'), km.join('\n') + '\n');
  const pnmi = run('eval', 'pnmi', feats, '--km', join(dir, 'x.km'));
  assert.equal(pnmi.code, 0, pnmi.err);
  const q = JSON.parse(pnmi.out.trim().split('\n').pop()!);
  assert.ok(Math.abs(q.pnmi - 1) < 1e-12 && q.phonePurity === 1);
  writeFileSync(join(dir, 'short.km'), km.slice(1).join('\n') + '\n');
  assert.match(run('eval', 'pnmi', feats, '--km', join(dir, 'short.km')).err, /short\.km: 35 label lines for 36 utterances/);
  const abx = run('eval', 'abx', feats, '--per-cell', '2');
  assert.equal(abx.code, 0, abx.err);
  const a = JSON.parse(abx.out.trim().split('\n').pop()!);
  assert.equal(a.withinSpeaker, 0);
  assert.equal(a.acrossSpeaker, 0);
  assert.match(run('eval', 'nope', feats).err, /expected a mode \(probe\|knn\|pnmi\|abx\)/);
});
