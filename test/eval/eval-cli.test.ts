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
  assert.doesNotMatch(probe.out, /\{/, 'no JSON after the table without --json');
  const pj = JSON.parse(readFileSync(join(dir, 'probe.json'), 'utf8'));
  assert.deepEqual(pj.folds.map((f: { fold: string }) => f.fold), ['ann', 'bob', 'cyd']);
  assert.equal(pj.mean.probe, 1);
  const knn = run('eval', 'knn', feats, '--k', '3,9', '--json');
  assert.equal(knn.code, 0, knn.err);
  assert.equal(JSON.parse(knn.out.trim().split('\n').pop()!).mean['k=3'], 1);
  // Cluster ids = the digit for every frame: PNMI 1 against the digit over speech frames.
  names.sort(); // the folder is read in sorted path order
  const km = names.map((n) => {
    const frames = readNpy(join(feats, `${n}.npy`)).shape[0];
    return new Array(frames).fill(n[0]).join(' ');
  });
  writeFileSync(join(dir, 'x.km'), km.join('\n') + '\n');
  const pnmi = run('eval', 'pnmi', feats, '--km', join(dir, 'x.km'), '--json');
  assert.equal(pnmi.code, 0, pnmi.err);
  const q = JSON.parse(pnmi.out.trim().split('\n').pop()!);
  assert.ok(Math.abs(q.pnmi - 1) < 1e-12 && q.phonePurity === 1);
  // Ids at half the feature rate (HuBERT iteration-2 labels at 50 Hz against 100 Hz MFCC): refused with a
  // hint at 1 frame per label, measured over the label's two frames with --frames-per-label 2.
  const half = names.map((n) => new Array(Math.ceil(readNpy(join(feats, `${n}.npy`)).shape[0] / 2)).fill(n[0]).join(' '));
  writeFileSync(join(dir, 'half.km'), half.join('\n') + '\n');
  const refused = run('eval', 'pnmi', feats, '--km', join(dir, 'half.km'));
  assert.equal(refused.code, 2);
  assert.match(refused.err, /half\.km: utterance 1 \(0_ann_0\): \d+ cluster ids but \d+ feature frames \(labels at 1\/2 of the feature rate\? pass --frames-per-label 2\)/);
  const halfRun = run('eval', 'pnmi', feats, '--km', join(dir, 'half.km'), '--frames-per-label', '2', '--json');
  assert.equal(halfRun.code, 0, halfRun.err);
  const hq = JSON.parse(halfRun.out.trim().split('\n').pop()!);
  assert.ok(Math.abs(hq.pnmi - 1) < 1e-12);
  assert.equal(hq.totalFrames, half.reduce((a, l) => a + l.split(' ').length, 0));
  writeFileSync(join(dir, 'short.km'), km.slice(1).join('\n') + '\n');
  assert.match(run('eval', 'pnmi', feats, '--km', join(dir, 'short.km')).err, /short\.km: 35 label lines for 36 utterances/);
  const abx = run('eval', 'abx', feats, '--per-cell', '2', '--json');
  assert.equal(abx.code, 0, abx.err);
  const a = JSON.parse(abx.out.trim().split('\n').pop()!);
  assert.equal(a.withinSpeaker, 0);
  assert.equal(a.acrossSpeaker, 0);
  assert.match(run('eval', 'nope', feats).err, /expected a mode \(probe\|knn\|pnmi\|abx\)/);
});

test('speech-ssl eval probe --pool mean,mean+std: a column per pooling; spread-only classes need mean+std', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eval-pool-'));
  const rng = new Rng(9);
  const dims = 3;
  for (const spk of ['ann', 'bob', 'cyd']) {
    for (let digit = 0; digit < 2; digit++) {
      for (let i = 0; i < 10; i++) {
        const frames = 30;
        const x = Float32Array.from({ length: frames * dims }, () => rng.normal(0, digit === 0 ? 1 : 4));
        writeNpy(join(dir, 'feats', `${digit}_${spk}_${i}.npy`), x, [frames, dims]);
      }
    }
  }
  const r = run('eval', 'probe', join(dir, 'feats'), '--pool', 'mean,mean+std', '--out', join(dir, 'pools.json'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /fold\s+train\s+test\s+acc probe\s+acc probe mean\+std/);
  const j = JSON.parse(readFileSync(join(dir, 'pools.json'), 'utf8'));
  assert.deepEqual(j.config.pools, ['mean', 'mean+std']);
  assert.ok(j.mean.probe < 0.75, `mean pooling ${j.mean.probe}`);
  assert.equal(j.mean['probe mean+std'], 1);
  const bad = run('eval', 'probe', join(dir, 'feats'), '--pool', 'max');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--pool: expected mean or mean\+std/);
});

test('speech-ssl eval probe --layers all: accuracy by layer and the weighted sum, from features.json of extract --layer all', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eval-layers-'));
  const rng = new Rng(10);
  const L = 3, D = 2;
  const feats = join(dir, 'feats');
  for (const spk of ['ann', 'bob']) {
    for (let digit = 0; digit < 2; digit++) {
      for (let i = 0; i < 12; i++) {
        const frames = 8;
        const x = new Float32Array(frames * L * D);
        // Hidden state 3 (the last block) carries the digit; the other two are noise.
        for (let t = 0; t < frames; t++) for (let j = 0; j < L * D; j++) x[t * L * D + j] = rng.normal() + (j === 2 * D + digit ? 2 : 0);
        writeNpy(join(feats, `${digit}_${spk}_${i}.npy`), x, [frames, L * D]);
      }
    }
  }
  writeFileSync(join(feats, 'features.json'), JSON.stringify({ kind: 'checkpoint', layer: 'all', layers: [1, 2, 3], layerDim: D }));
  const r = run('eval', 'probe', feats, '--layers', 'all', '--pool', 'mean,mean+std', '--out', join(dir, 'l.json'));
  assert.equal(r.code, 0, r.err);
  const lines = r.out.split('\n');
  assert.match(lines[0], /^features\s+pool\s+ann\s+bob\s+mean\s+pooled\s+layer weights/);
  assert.equal(lines.filter((l) => /^(layer \d|weighted sum)/.test(l)).length, 8);
  const j = JSON.parse(readFileSync(join(dir, 'l.json'), 'utf8'));
  assert.deepEqual(j.layers, [1, 2, 3]);
  const row = (f: string, p: string) => j.rows.find((x: { features: string; pool: string }) => x.features === f && x.pool === p);
  assert.ok(row('layer 3', 'mean').mean.probe > 0.95);
  assert.ok(row('layer 1', 'mean').mean.probe < 0.8);
  const ws = row('weighted sum', 'mean');
  assert.ok(ws.mean.probe > 0.95);
  assert.ok(ws.layerWeights[2] > 0.5, `weights ${ws.layerWeights}`);
  assert.match(r.err, /weighted sum, mean pooling: /);
  const some = run('eval', 'probe', feats, '--layers', '2,3');
  assert.equal(some.code, 0, some.err);
  assert.deepEqual(some.out.split('\n').filter((l) => /^layer/.test(l)).map((l) => l.split(/\s+/).slice(0, 2).join(' ')), ['layer 2', 'layer 3']);
  const wrong = run('eval', 'probe', feats, '--layers', '7');
  assert.equal(wrong.code, 2);
  assert.match(wrong.err, /--layers: expected all or hidden-state numbers among 1,2,3, got "7"/);
  const plain = join(dir, 'plain');
  writeNpy(join(plain, '0_ann_0.npy'), new Float32Array(6), [1, 6]);
  writeNpy(join(plain, '1_bob_0.npy'), new Float32Array(6), [1, 6]);
  const noinfo = run('eval', 'probe', plain, '--layers', 'all');
  assert.equal(noinfo.code, 2);
  assert.match(noinfo.err, /--layers needs features with several layers side by side/);
});
