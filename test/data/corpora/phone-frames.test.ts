import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { framesForSamples, frameLabels, parsePhn, segmentIds } from '../../../src/data/corpora/phone-frames.ts';
import { foldTo39, phoneIds, TIMIT_39_PHONES, TIMIT_61_PHONES } from '../../../src/data/corpora/timit-phones.ts';
import { writePhoneReference } from '../../../src/data/corpora/phone-reference.ts';
import { writeManifest } from '../../../src/data/manifest.ts';

const KALDI_100HZ = { hop: 160, window: 400 };

test('phone sets: 61 symbols, 39 classes, every 61 symbol folds into the 39 (q alone has no class)', () => {
  assert.equal(new Set(TIMIT_61_PHONES).size, 61);
  assert.equal(new Set(TIMIT_39_PHONES).size, 39);
  const folded = new Set<string>();
  for (const p of TIMIT_61_PHONES) {
    const f = foldTo39(p);
    if (p === 'q') assert.equal(f, null);
    else {
      assert.ok((TIMIT_39_PHONES as readonly string[]).includes(f!), `${p} -> ${f}`);
      folded.add(f!);
    }
  }
  assert.equal(folded.size, 39, 'the folding reaches every class');
  assert.deepEqual(['ao', 'ax-h', 'axr', 'hv', 'ix', 'el', 'em', 'nx', 'eng', 'zh', 'ux', 'pcl', 'h#', 'epi'].map(foldTo39), ['aa', 'ah', 'er', 'hh', 'ih', 'l', 'm', 'n', 'ng', 'sh', 'uw', 'sil', 'sil', 'sil']);
  assert.throws(() => foldTo39('xx'), /"xx" is not one of TIMIT's 61 phones/);
});

test('framesForSamples: Kaldi snip-edges counts', () => {
  assert.equal(framesForSamples(399, KALDI_100HZ), 0);
  assert.equal(framesForSamples(400, KALDI_100HZ), 1);
  assert.equal(framesForSamples(559, KALDI_100HZ), 1);
  assert.equal(framesForSamples(560, KALDI_100HZ), 2);
  assert.equal(framesForSamples(16000, KALDI_100HZ), 98);
  assert.equal(framesForSamples(16000, { hop: 320, window: 400 }), 49);
});

test('frameLabels: the phone under each frame centre (t*hop + window/2), nearest segment in gaps and past the ends', () => {
  // centres at 200, 360, 520, 680, 840, 1000, 1160, 1320, 1480, 1640
  const segs = [{ start: 0, end: 480, id: 7 }, { start: 480, end: 800, id: 3 }, { start: 800, end: 1600, id: 5 }];
  assert.deepEqual([...frameLabels(segs, 10, KALDI_100HZ)], [7, 7, 3, 3, 5, 5, 5, 5, 5, 5]);
  // 50 Hz: centres 200, 520, 840, 1160
  assert.deepEqual([...frameLabels(segs, 4, { hop: 320, window: 400 })], [7, 3, 5, 5]);
  // A gap [300, 500): 360 is 60 past a's end and 140 before b's start -> a; 520 in b. A first segment
  // starting late: the frame before it takes it.
  const gap = [{ start: 300, end: 340, id: 1 }, { start: 500, end: 900, id: 2 }];
  assert.deepEqual([...frameLabels(gap, 4, KALDI_100HZ)], [1, 1, 2, 2]);
  const late = [{ start: 250, end: 1000, id: 4 }];
  assert.deepEqual([...frameLabels(late, 2, KALDI_100HZ)], [4, 4]);
});

test('parsePhn and segmentIds: ids from the fixed inventory, q merged into its neighbour under the 39 set', () => {
  const segs = parsePhn('0 100 h#\n100 300 q\n300 500 ao\n500 650 q\n650 900 pcl\n', 'x.PHN');
  assert.equal(segs.length, 5);
  const ids39 = phoneIds('39');
  assert.deepEqual(segmentIds(segs, '39', 'x.PHN'), [
    { start: 0, end: 300, id: ids39.get('sil')! },
    { start: 300, end: 650, id: ids39.get('aa')! },
    { start: 650, end: 900, id: ids39.get('sil')! },
  ]);
  const ids61 = phoneIds('61');
  assert.deepEqual(segmentIds(segs, '61', 'x.PHN').map((s) => s.id), ['h#', 'q', 'ao', 'q', 'pcl'].map((p) => ids61.get(p)));
  // q first: merged into the next segment, which then starts at 0.
  assert.deepEqual(segmentIds(parsePhn('0 50 q\n50 200 iy\n', 'y.PHN'), '39', 'y.PHN'), [{ start: 0, end: 200, id: ids39.get('iy')! }]);
  assert.throws(() => parsePhn('0 100 h#\n100 abc iy\n', 'b.PHN'), /b\.PHN: line 2: expected "start end phone"/);
  assert.throws(() => parsePhn('100 200 h#\n0 100 iy\n', 'c.PHN'), /c\.PHN: line 2: segment starts at 0, before the previous one/);
  assert.throws(() => segmentIds(parsePhn('0 100 zz\n', 'd.PHN'), '39', 'd.PHN'), /d\.PHN: line 1: "zz" is not one of TIMIT's 61 phones/);
  assert.throws(() => parsePhn('\n', 'e.PHN'), /e\.PHN: no phone segments/);
});

test('writePhoneReference: one line per manifest line, frame counts from lengths or snip-edges, mismatches refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'phone-ref-'));
  writeFileSync(join(dir, 'a.PHN'), '0 480 h#\n480 800 iy\n800 1600 h#\n');
  writeFileSync(join(dir, 'b.PHN'), '0 560 sh\n560 1000 ix\n');
  writeManifest(join(dir, 'test.tsv'), { root: dir, entries: [{ path: 'a.wav', numSamples: 1600 }, { path: 'b.wav', numSamples: 1000 }] });
  writeFileSync(join(dir, 'test.phn'), `${join(dir, 'a.PHN')}\n${join(dir, 'b.PHN')}\n`);
  const base = { manifest: join(dir, 'test.tsv'), phnList: join(dir, 'test.phn'), rate: 100, window: 400, set: '39' as const, out: join(dir, 'ref.txt'), phonesOut: join(dir, 'phones.txt') };
  const r = writePhoneReference(base);
  const ids = phoneIds('39');
  const [sil, iy, sh, ih] = ['sil', 'iy', 'sh', 'ih'].map((p) => ids.get(p)!);
  // a: 8 frames (1 + floor(1200/160)), centres 200..1320; b: 4 frames, centres 200, 360, 520, 680.
  assert.equal(readFileSync(base.out, 'utf8'), `${[sil, sil, iy, iy, sil, sil, sil, sil].join(' ')}\n${[sh, sh, sh, ih].join(' ')}\n`);
  assert.deepEqual(r, { utterances: 2, frames: 12 });
  assert.equal(readFileSync(base.phonesOut, 'utf8').split('\n')[ids.get('sil')!], `sil ${sil}`);
  writePhoneReference({ ...base, lengths: [3, 2] });
  assert.equal(readFileSync(base.out, 'utf8'), `${[sil, sil, iy].join(' ')}\n${[sh, sh].join(' ')}\n`);
  assert.throws(() => writePhoneReference({ ...base, lengths: [3], lengthsSource: 'feats/' }), /feats\/: 1 utterances of features for the 2 manifest lines/);
  writeFileSync(join(dir, 'short.phn'), `${join(dir, 'a.PHN')}\n`);
  assert.throws(() => writePhoneReference({ ...base, phnList: join(dir, 'short.phn') }), /short\.phn: 1 alignments for the 2 manifest lines/);
  writeManifest(join(dir, 'wrong.tsv'), { root: dir, entries: [{ path: 'a.wav', numSamples: 1000 }, { path: 'b.wav', numSamples: 1000 }] });
  assert.throws(() => writePhoneReference({ ...base, manifest: join(dir, 'wrong.tsv') }), /a\.PHN: the alignment runs to sample 1600 but a\.wav has 1000 samples/);
});
