import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { letters, parseTranscripts, prepareLibriSpeech } from '../../../src/data/corpora/librispeech.ts';
import { prepareSpeechCommands, samplePerWord } from '../../../src/data/corpora/speech-commands.ts';
import { prepareTimit } from '../../../src/data/corpora/timit.ts';
import { readManifest } from '../../../src/data/manifest.ts';
import { Rng } from '../../../src/util/rng.ts';
import { encodeWav } from '../../helpers/audio-files.ts';
import { toneSegments, writeFakeLibriSpeech, writeFakeSpeechCommands, writeFakeTimit } from '../../recipes/fake-corpora.ts';

const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));
const lines = (f: string) => readFileSync(f, 'utf8').split('\n').filter((l) => l !== '');

test('letters and transcripts: fairseq .ltr layout, malformed lines reported', () => {
  assert.equal(letters('HELLO  WORLD'), 'H E L L O | W O R L D |');
  const problems: { path: string; message: string }[] = [];
  const t = parseTranscripts('19-198-0000 A B\nbroken\n\n19-198-0001   C  D \n', 't.txt', problems);
  assert.deepEqual([...t], [['19-198-0000', 'A B'], ['19-198-0001', 'C D']]);
  assert.deepEqual(problems, [{ path: 't.txt', message: 'line 2: expected "ID WORDS...", got "broken"' }]);
});

test('prepareLibriSpeech: train-* and dev-* manifests with aligned .wrd/.ltr; bad and unmatched files reported', () => {
  const root = tmp('ls-'), out = tmp('ls-out-');
  const fake = writeFakeLibriSpeech(root);
  rmSync(join(root, 'dev-clean/84/121123/84-121123-0002.flac')); // its transcript line stays
  const r = prepareLibriSpeech({ root, splits: ['train-clean-100', 'dev-clean'], outDir: out });
  const train = readManifest(join(out, 'train.tsv'));
  // The truncated FLAC has a good header: it is listed here and dropped after extraction.
  assert.equal(train.entries.length, fake.train + 1);
  assert.equal(train.entries[0].path, 'train-clean-100/19/198/19-198-0000.flac');
  assert.equal(train.entries[0].numSamples, 8000);
  assert.equal(readManifest(join(out, 'valid.tsv')).entries.length, fake.valid - 1);
  assert.equal(lines(join(out, 'train.wrd')).length, train.entries.length);
  assert.equal(lines(join(out, 'train.ltr'))[0], 'A L P H A | B R A V O |');
  assert.deepEqual(r.problems.map((p) => [p.path.slice(root.length + 1), p.message]), [
    ['train-clean-100/19/198/19-198-0098.flac', 'not a WAV or FLAC file (starts with bytes 74 68 69 73); only WAV and FLAC are read, whatever the file name'],
    ['dev-clean/84/121123/84-121123.trans.txt', 'transcript of 84-121123-0002 but no 84-121123-0002.flac beside it'],
  ]);
  assert.throws(() => prepareLibriSpeech({ root, splits: ['train-other-500'], outDir: out }), /--splits: no split folder "train-other-500"/);
  assert.throws(() => prepareLibriSpeech({ root, splits: ['dev-clean'], outDir: out }), /--splits: no training split among dev-clean/);
  assert.throws(() => prepareLibriSpeech({ root: join(root, 'nope'), splits: ['dev-clean'], outDir: out }), /nope: cannot read the LibriSpeech folder/);
});

test('prepareSpeechCommands: splits from the lists, background noise excluded, probe lists, bad clips reported', () => {
  const root = tmp('sc-'), out = tmp('sc-out-');
  const fake = writeFakeSpeechCommands(root);
  writeFileSync(join(root, 'testing_list.txt'), readFileSync(join(root, 'testing_list.txt'), 'utf8') + 'no/deadbeef_nohash_0.wav\n');
  const r = prepareSpeechCommands({ root, outDir: out, probePerWord: 0, seed: 0 });
  const paths = (f: string) => readManifest(join(out, f)).entries.map((e) => e.path);
  assert.equal(paths('train.tsv').length, fake.train);
  assert.equal(paths('valid.tsv').length, fake.valid);
  assert.equal(paths('test.tsv').length, fake.test);
  const all = [...paths('train.tsv'), ...paths('valid.tsv'), ...paths('test.tsv')];
  assert.equal(new Set(all).size, all.length, 'the splits are disjoint');
  assert.ok(all.every((p) => !p.startsWith('_background_noise_')));
  assert.deepEqual(paths('probe.tsv'), [...paths('train.tsv'), ...paths('test.tsv')].sort());
  assert.deepEqual(lines(join(out, 'probe_test.lst')), paths('test.tsv'));
  assert.deepEqual(r.problems.map((p) => p.message), ['not a WAV or FLAC file (starts with bytes 6e 6f 74 20); only WAV and FLAC are read, whatever the file name', 'lists no/deadbeef_nohash_0.wav, which is not in the corpus']);
  const small = prepareSpeechCommands({ root, outDir: out, probePerWord: 2, seed: 0 });
  assert.equal(small.problems.length, 2);
  assert.equal(lines(join(out, 'probe_train.lst')).length, 2 * fake.words.length);
  rmSync(join(root, 'validation_list.txt'));
  assert.throws(() => prepareSpeechCommands({ root, outDir: out, probePerWord: 0, seed: 0 }), /validation_list\.txt: missing validation_list\.txt/);
});

test('samplePerWord: at most N per word, seeded, in path order', () => {
  const entries = ['a/1', 'a/2', 'a/3', 'b/1', 'c/1', 'c/2'].map((path) => ({ path, numSamples: 1 }));
  const one = samplePerWord(entries, 2, new Rng(3)).map((e) => e.path);
  assert.deepEqual(one, samplePerWord(entries, 2, new Rng(3)).map((e) => e.path));
  assert.equal(one.filter((p) => p.startsWith('a/')).length, 2);
  assert.deepEqual(one.filter((p) => !p.startsWith('a/')), ['b/1', 'c/1', 'c/2']);
  assert.deepEqual(one, [...one].sort());
});

test('prepareTimit: SPHERE rewritten as WAV, SA sentences left out unless asked, .PHN list per manifest line', () => {
  const root = tmp('timit-'), out = tmp('timit-out-');
  const fake = writeFakeTimit(root);
  writeFileSync(join(root, 'TEST/DR1/FAKS0/SX38.WAV.wav'), readFileSync(join(root, 'TEST/DR1/FAKS0/SX38.WAV'))); // a side copy, ignored
  const r = prepareTimit({ root, outDir: out, withSa: false });
  const train = readManifest(join(out, 'train.tsv'));
  assert.equal(train.root, join(out, 'wav'));
  assert.equal(train.entries.length, fake.train);
  assert.ok(train.entries.every((e) => !/sa\d/.test(e.path) && existsSync(join(train.root, e.path))));
  assert.equal(train.entries[0].path, 'train/dr1/fcjf0/si648.wav');
  assert.deepEqual(lines(join(out, 'train.phn')), train.entries.map((e) => join(root, 'TRAIN', e.path.split('/')[1].toUpperCase(), e.path.split('/')[2].toUpperCase(), e.path.split('/')[3].replace('.wav', '.PHN').toUpperCase())));
  assert.equal(readManifest(join(out, 'test.tsv')).entries.length, fake.test);
  assert.deepEqual(r.problems.map((p) => [p.path.slice(root.length + 1), p.message]), [['TRAIN/DR2/MKLW0/SX999.WAV', 'no SX999.PHN alignment beside it']]);
  const withSa = prepareTimit({ root, outDir: out, withSa: true });
  assert.equal(withSa.written[0].lines, fake.train + 2);
  rmSync(join(root, 'TEST'), { recursive: true });
  assert.throws(() => prepareTimit({ root, outDir: out, withSa: false }), /no TEST folder/);
});

test('prepareTimit: a RIFF copy in lower case is used in place; an unreadable .PHN is reported', () => {
  const root = tmp('timit-riff-'), out = tmp('timit-riff-out-');
  const wav = encodeWav({ sampleRate: 16000, channels: [toneSegments([[300, 900, 1600]], 1)], format: 'pcm16' });
  for (const [split, utt] of [['train', 'si1'], ['train', 'si2'], ['test', 'si3']]) {
    const dir = join(root, split, 'dr1', 'mabc0');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${utt}.wav`), wav);
    writeFileSync(join(dir, `${utt}.phn`), utt === 'si2' ? '0 oops h#\n' : '0 800 h#\n800 1600 iy\n');
  }
  const r = prepareTimit({ root, outDir: out, withSa: false });
  const train = readManifest(join(out, 'train.tsv'));
  assert.equal(train.root, root.replace(/\/$/, ''));
  assert.deepEqual(train.entries, [{ path: 'train/dr1/mabc0/si1.wav', numSamples: 1600 }]);
  assert.match(r.problems[0].message, /its alignment is unusable: .*si2\.phn: line 1: expected "start end phone"/);
});
