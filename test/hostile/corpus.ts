/**
 * A corpus of hostile inputs (issue #15), generated, never committed: recordings whose header rate the
 * resampler was not built for or that no recorder makes, an MP3 renamed .wav, .npy files in fortran order,
 * truncated or empty, file names that are not UTF-8 or that hold a tab or a newline. Tests import the
 * writers; anyone can write the whole corpus to a folder and point a command at it:
 *   node --import tsx test/hostile/corpus.ts /tmp/hostile
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeWav, testSignal } from '../helpers/audio-files.ts';
import { encodeNpy } from '../../src/util/npy.ts';

/** Rates the resampler must handle quickly (odd ratios) and rates a header may declare but we refuse. */
export const ODD_RATES = [44101, 96001] as const;
export const REFUSED_RATES = [1, 1_000_003, 2 ** 31] as const;

/** A 16-bit mono WAV whose header declares `rate`; `samples` defaults to one second's worth (capped). */
export function wavAtRate(rate: number, samples = Math.min(rate, 200_000)): Uint8Array {
  const bytes = encodeWav({ sampleRate: 16000, channels: [testSignal(samples, 16000, 3)], format: 'pcm16' });
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  v.setUint32(24, rate >>> 0, true); // fmt: sample rate
  v.setUint32(28, (rate * 2) >>> 0, true); // fmt: byte rate (wraps for absurd rates, as a hand-made header would)
  return bytes;
}

/** An MPEG audio file as most carry it: an ID3v2 tag, then frames starting with the 0xFFFB sync word. */
export function fakeMp3(): Uint8Array {
  const tagBody = new Uint8Array(32);
  const frame = new Uint8Array(417);
  frame.set([0xff, 0xfb, 0x90, 0x64]);
  const out = new Uint8Array(10 + tagBody.length + 3 * frame.length);
  out.set([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, tagBody.length]);
  for (let i = 0; i < 3; i++) out.set(frame, 10 + tagBody.length + i * frame.length);
  return out;
}

/** `rows` (a row-major [r][c] list) stored as numpy stores a fortran-order (column-major) float32 array. */
export function fortranNpy(rows: number[][]): Uint8Array {
  const r = rows.length;
  const c = rows[0].length;
  const col = new Float32Array(r * c);
  for (let j = 0; j < c; j++) for (let i = 0; i < r; i++) col[j * r + i] = rows[i][j];
  const bytes = encodeNpy(col, [r, c]);
  const text = new TextDecoder('latin1').decode(bytes.subarray(10, 10 + new DataView(bytes.buffer).getUint16(8, true)));
  const flipped = text.replace("'fortran_order': False", "'fortran_order': True ");
  for (let i = 0; i < flipped.length; i++) bytes[10 + i] = flipped.charCodeAt(i);
  return bytes;
}

/** A float32 [frames, dims] .npy cut short (the header promises more rows than follow). */
export function truncatedNpy(frames = 20, dims = 4): Uint8Array {
  const full = encodeNpy(new Float32Array(frames * dims).fill(0.5), [frames, dims]);
  return full.subarray(0, full.length - 4 * dims * 3);
}

/** A file name with bytes that are not UTF-8 (Latin-1 "é" = 0xE9), as a Buffer path. */
export function nonUtf8Name(dir: string, stem = 'caf'): Buffer {
  return Buffer.concat([Buffer.from(dir + '/'), Buffer.from(stem), Buffer.from([0xe9]), Buffer.from('.wav')]);
}

function put(path: string | Buffer, bytes: Uint8Array): void {
  if (typeof path === 'string') mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}

/** Writes every hostile file under `root`; returns what each is and what a command should say about it. */
export function writeHostileCorpus(root: string): { path: string | Buffer; what: string }[] {
  const out: { path: string | Buffer; what: string }[] = [];
  const add = (path: string | Buffer, bytes: Uint8Array, what: string) => {
    put(path, bytes);
    out.push({ path, what });
  };
  for (const r of ODD_RATES) add(join(root, 'audio', `rate-${r}.wav`), wavAtRate(r), `odd rate ${r} Hz: resampled in well under a second`);
  for (const r of REFUSED_RATES) add(join(root, 'audio', `rate-${r}.wav`), wavAtRate(r, 16000), `header rate ${r} Hz: refused, naming the rate`);
  add(join(root, 'audio', 'song.wav'), fakeMp3(), 'an MP3 named .wav: "not a WAV or FLAC file (an MPEG audio (MP3) file)"');
  mkdirSync(join(root, 'names'), { recursive: true });
  add(nonUtf8Name(join(root, 'names')), wavAtRate(16000), 'a file name that is not UTF-8');
  add(join(root, 'names', 'tab\there.wav'), wavAtRate(16000), 'a name with a tab (cannot stand in a .tsv manifest)');
  add(join(root, 'names', 'new\nline.wav'), wavAtRate(16000), 'a name with a newline');
  add(join(root, 'npy', 'fortran.npy'), fortranNpy([[1, 2, 3], [4, 5, 6]]), 'fortran_order .npy: transposed by readNpy, refused by streaming readers');
  add(join(root, 'npy', 'truncated.npy'), truncatedNpy(), 'a .npy cut short');
  add(join(root, 'npy', 'empty.npy'), new Uint8Array(0), 'an empty .npy');
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = process.argv[2];
  if (!root) {
    process.stderr.write('usage: node --import tsx test/hostile/corpus.ts OUT_DIR\n');
    process.exit(2);
  }
  for (const f of writeHostileCorpus(root)) process.stdout.write(`${JSON.stringify(f.path.toString())}\t${f.what}\n`);
}
