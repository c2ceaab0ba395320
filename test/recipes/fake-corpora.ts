/**
 * Tiny fake trees in the layouts of LibriSpeech, Speech Commands v2 and TIMIT, for the recipe tests:
 * a few speakers, utterances of 0.5-1 s synthesised as sequences of tone segments (a "phone" or a
 * "word" is a tone pair, a speaker shifts the pitch), the corpus's text files, and a bad recording or
 * two. Nothing here is real speech; the trees only have the real layouts.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { encodeFlac, encodeWav } from '../helpers/audio-files.ts';
import { TIMIT_61_PHONES } from '../../src/data/corpora/timit-phones.ts';

const RATE = 16000;

function put(path: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}

/** xorshift noise in [-0.5, 0.5). */
function noiseSource(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296 - 0.5;
  };
}

/** Tone segments: each `[f1, f2, samples]` is two sines (continuous phase) with a little noise. */
export function toneSegments(segments: [number, number, number][], seed: number): Float32Array {
  const total = segments.reduce((a, s) => a + s[2], 0);
  const x = new Float32Array(total);
  const noise = noiseSource(seed);
  let p = 0, ph1 = 0, ph2 = 0;
  for (const [f1, f2, n] of segments) {
    for (let i = 0; i < n; i++, p++) {
      ph1 += (2 * Math.PI * f1) / RATE;
      ph2 += (2 * Math.PI * f2) / RATE;
      x[p] = 0.45 * Math.sin(ph1) + 0.25 * Math.sin(ph2) + 0.05 * noise();
    }
  }
  return x;
}

const WORDS = ['ALPHA', 'BRAVO', 'CHARLIE', 'DELTA', 'ECHO'];

/**
 * LibriSpeech: train-clean-100 (2 speakers x 1 chapter x 4 utterances) and dev-clean (1 x 1 x 3), FLAC,
 * with transcripts. Bad files: a "FLAC" that is text (with a transcript line), and a truncated FLAC
 * whose header is fine (only decoding finds it). Returns the good utterance counts.
 */
export function writeFakeLibriSpeech(root: string): { train: number; valid: number; badHeader: string; truncated: string } {
  const layout: [string, string, string, number][] = [
    ['train-clean-100', '19', '198', 4],
    ['train-clean-100', '26', '495', 4],
    ['dev-clean', '84', '121123', 3],
  ];
  let seed = 1;
  for (const [split, spk, ch, n] of layout) {
    const trans: string[] = [];
    for (let u = 0; u < n; u++) {
      const id = `${spk}-${ch}-${String(u).padStart(4, '0')}`;
      const samples = 8000 + 2000 * u;
      const base = 150 + 40 * Number(spk.length) + 10 * u;
      const segs: [number, number, number][] = [];
      for (let left = samples, k = 0; left > 0; k++) {
        const len = Math.min(left, 1200 + 400 * (k % 3));
        segs.push([base * (1 + (k % 4)), 900 + 300 * ((k + u) % 5), len]);
        left -= len;
      }
      put(join(root, split, spk, ch, `${id}.flac`), encodeFlac(RATE, [toneSegments(segs, seed++)], 16, 4096));
      trans.push(`${id} ${WORDS.slice(0, 2 + (u % 3)).join(' ')}`);
    }
    if (split === 'train-clean-100' && spk === '19') trans.push(`${spk}-${ch}-0098 BROKEN HEADER`);
    put(join(root, split, spk, ch, `${spk}-${ch}.trans.txt`), trans.join('\n') + '\n');
  }
  const badHeader = join(root, 'train-clean-100/19/198/19-198-0098.flac');
  put(badHeader, 'this is not a FLAC file');
  // A truncated FLAC: STREAMINFO promises 12000 samples, the frames stop after the first block.
  const truncated = join(root, 'train-clean-100/26/495/26-495-0099.flac');
  const full = encodeFlac(RATE, [toneSegments([[300, 1200, 12000]], 99)], 16, 4096);
  put(truncated, full.subarray(0, Math.floor(full.length * 0.5)));
  const t = readFileLines(join(root, 'train-clean-100/26/495/26-495.trans.txt'));
  put(join(root, 'train-clean-100/26/495/26-495.trans.txt'), [...t, '26-495-0099 TRUNCATED FILE'].join('\n') + '\n');
  return { train: 8, valid: 3, badHeader, truncated };
}

function readFileLines(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
}

/**
 * Speech Commands v2: words yes/no/up, 4 speakers, 2 clips each of 0.6 s; speaker s3 in the validation
 * list, s4 in the test list; a `_background_noise_` recording; one bad clip (text in a .wav).
 */
export function writeFakeSpeechCommands(root: string): { train: number; valid: number; test: number; words: string[] } {
  const words: Record<string, [number, number][]> = { yes: [[300, 2400], [500, 2000]], no: [[700, 1100], [400, 900]], up: [[1200, 1800], [900, 3000]] };
  const speakers = ['0a1b2c3d', '1b2c3d4e', '2c3d4e5f', '3d4e5f60'];
  const valid: string[] = [], test: string[] = [];
  let seed = 1;
  for (const [word, tones] of Object.entries(words)) {
    speakers.forEach((spk, s) => {
      for (let n = 0; n < 2; n++) {
        const pitch = 0.92 + 0.05 * s;
        const segs: [number, number, number][] = [[60, 80, 1600], ...tones.map(([a, b]) => [a * pitch, b * pitch, 3200] as [number, number, number]), [60, 80, 1600]];
        const rel = `${word}/${spk}_nohash_${n}.wav`;
        put(join(root, rel), encodeWav({ sampleRate: RATE, channels: [toneSegments(segs, seed++)], format: 'pcm16' }));
        if (s === 2) valid.push(rel);
        if (s === 3) test.push(rel);
      }
    });
  }
  put(join(root, '_background_noise_/white_noise.wav'), encodeWav({ sampleRate: RATE, channels: [toneSegments([[50, 70, 32000]], 7)], format: 'pcm16' }));
  put(join(root, 'yes/ffffffff_nohash_0.wav'), 'not a recording');
  put(join(root, 'validation_list.txt'), valid.join('\n') + '\n');
  put(join(root, 'testing_list.txt'), test.join('\n') + '\n');
  return { train: 12, valid: valid.length, test: test.length, words: Object.keys(words) };
}

/** A NIST SPHERE file (16-bit little-endian PCM, 1024-byte header), as the LDC's TIMIT .WAV files are. */
export function encodeSphere(samples: Float32Array, rate = RATE): Uint8Array {
  const header = ['NIST_1A', '   1024', 'database_id -s5 TIMIT', `sample_count -i ${samples.length}`, `sample_rate -i ${rate}`, 'channel_count -i 1', 'sample_n_bytes -i 2', 'sample_byte_format -s2 01', 'sample_coding -s3 pcm', 'sample_sig_bits -i 16', 'end_head', ''].join('\n');
  const out = new Uint8Array(1024 + samples.length * 2);
  for (let i = 0; i < header.length; i++) out[i] = header.charCodeAt(i);
  for (let i = header.length; i < 1024; i++) out[i] = 32;
  const v = new DataView(out.buffer);
  samples.forEach((x, i) => v.setInt16(1024 + 2 * i, Math.max(-32768, Math.min(32767, Math.round(x * 32768))), true));
  return out;
}

/** Tone pair of a TIMIT phone: each of the 61 symbols gets its own (f1, f2). */
export function phoneTone(phone: string): [number, number] {
  const i = (TIMIT_61_PHONES as readonly string[]).indexOf(phone);
  return [180 + 37 * i, 2600 - 29 * i];
}

const SENTENCE_PHONES = [
  ['h#', 'sh', 'iy', 'hh', 'ae', 'dcl', 'd', 'y', 'er', 'h#'],
  ['h#', 'q', 'ae', 'n', 'ix', 'tcl', 't', 'ao', 'l', 'h#'],
  ['h#', 'dh', 'ax', 'w', 'ao', 'zh', 'er', 'pau', 'm', 'h#'],
];

/**
 * TIMIT: TRAIN (2 dialects x 1 speaker) and TEST (1 x 1), SPHERE .WAV with .PHN (a few phones of 60-110 ms
 * each), an SA1 sentence per speaker (left out by default), and in TRAIN a .WAV without a .PHN.
 */
export function writeFakeTimit(root: string): { train: number; test: number } {
  const speakers: [string, string, string][] = [['TRAIN', 'DR1', 'FCJF0'], ['TRAIN', 'DR2', 'MKLW0'], ['TEST', 'DR1', 'FAKS0']];
  let seed = 1;
  for (const [split, dr, spk] of speakers) {
    const sentences = ['SA1', 'SI648', 'SX38', 'SX128'];
    sentences.forEach((sent, k) => {
      const phones = SENTENCE_PHONES[k % SENTENCE_PHONES.length];
      const segs: [number, number, number][] = [];
      const phn: string[] = [];
      let t = 0;
      phones.forEach((p, j) => {
        const len = 960 + 320 * ((j + k + seed) % 3);
        const [f1, f2] = phoneTone(p);
        segs.push([f1, f2, len]);
        phn.push(`${t} ${t + len} ${p}`);
        t += len;
      });
      put(join(root, split, dr, spk, `${sent}.WAV`), encodeSphere(toneSegments(segs, seed++)));
      put(join(root, split, dr, spk, `${sent}.PHN`), phn.join('\n') + '\n');
    });
  }
  put(join(root, 'TRAIN/DR2/MKLW0/SX999.WAV'), encodeSphere(toneSegments([[300, 900, 8000]], 5)));
  return { train: 6, test: 3 };
}
