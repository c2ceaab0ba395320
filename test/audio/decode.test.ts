/** Decoding WAV (every PCM/float layout) and FLAC through one API, and every kind of bad file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wav from 'node-wav';
import { decodeAudio, probeAudio, readAudioBlocks } from '../../src/audio/decode.ts';
import { InputError } from '../../src/util/errors.ts';
import { encodeFlac, encodeWav, testSignal, type WavSpec } from '../helpers/audio-files.ts';

const dir = mkdtempSync(join(tmpdir(), 'speech-ssl-decode-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** What torchaudio reads back for a value written at `bits`: round(v * 2^(bits-1)) / 2^(bits-1). */
function quantised(v: number, bits: number): number {
  const s = 2 ** (bits - 1);
  return Math.max(-s, Math.min(s - 1, Math.round(v * s))) / s;
}

const left = testSignal(3001, 22050, 1);
const right = testSignal(3001, 22050, 2).map((v) => -0.5 * v);

test('WAV: PCM 8/16/24/32 and float 32/64, plain and WAVE_FORMAT_EXTENSIBLE, mono and stereo', async () => {
  const cases: [WavSpec['format'], number | null][] = [
    ['pcm8', 8],
    ['pcm16', 16],
    ['pcm24', 24],
    ['pcm32', 32],
    ['float32', null],
    ['float64', null],
  ];
  for (const [format, bits] of cases) {
    for (const extensible of [false, true]) {
      const p = write(`${format}-${extensible}.wav`, encodeWav({ sampleRate: 22050, channels: [left, right], format, extensible }));
      const d = await decodeAudio(p);
      assert.equal(d.sampleRate, 22050);
      assert.equal(d.channelData.length, 2);
      assert.equal(d.mono.length, 3001);
      const q = (v: number) => (bits === null ? Math.fround(v) : quantised(v, bits));
      for (let i = 0; i < 3001; i += 7) {
        assert.ok(Math.abs(d.channelData[0][i] - q(left[i])) < 1e-7, `${format} ch0 sample ${i}`);
        assert.ok(Math.abs(d.channelData[1][i] - q(right[i])) < 1e-7, `${format} ch1 sample ${i}`);
        assert.ok(Math.abs(d.mono[i] - (q(left[i]) + q(right[i])) / 2) < 1e-7, `${format} mono sample ${i}`);
      }
      const info = probeAudio(p);
      assert.deepEqual([info.format, info.channels, info.numFrames, info.bitsPerSample], ['wav', 2, 3001, bits ?? (format === 'float32' ? 32 : 64)]);
    }
  }
});

test('WAV: agrees with node-wav up to its 1/(2^(b-1)-1) scaling of positive samples', async () => {
  const bytes = encodeWav({ sampleRate: 16000, channels: [left], format: 'pcm16' });
  const ours = (await decodeAudio(bytes)).mono;
  const theirs = wav.decode(Buffer.from(bytes)).channelData[0];
  for (let i = 0; i < ours.length; i++) {
    const q = Math.round(ours[i] * 32768);
    assert.equal(Math.round(theirs[i] * (q < 0 ? 32768 : 32767)), q, `sample ${i}`);
  }
});

test('WAV: odd-sized chunk before the data (pad byte) and unaligned sample data are read correctly', async () => {
  const p = write('list.wav', encodeWav({ sampleRate: 8000, channels: [left], format: 'pcm16', listChunkBytes: 13 }));
  const d = await decodeAudio(p);
  for (let i = 0; i < 3001; i += 11) assert.equal(d.mono[i], quantised(left[i], 16));
});

test('streamed blocks equal the whole-file decode, for WAV and FLAC', async () => {
  const x = testSignal(20000, 16000, 3);
  for (const [name, bytes] of [
    ['s.wav', encodeWav({ sampleRate: 16000, channels: [x, x.map((v) => v * 0.5)], format: 'pcm24' })],
    ['s.flac', encodeFlac(16000, [x, x.map((v) => v * 0.5)], 24, 1152)],
  ] as const) {
    const p = write(name, bytes);
    const whole = (await decodeAudio(p)).mono;
    const blocks: Float32Array[] = [];
    await readAudioBlocks(p, () => {}, (b) => blocks.push(b), { blockFrames: 999, flacChunkBytes: 3000 });
    assert.ok(blocks.length > 5, `${name}: streamed in several blocks`);
    const joined = new Float32Array(blocks.reduce((a, b) => a + b.length, 0));
    let o = 0;
    for (const b of blocks) {
      joined.set(b, o);
      o += b.length;
    }
    assert.deepEqual(joined, whole, name);
  }
});

test('FLAC (libFLAC in wasm): 16- and 24-bit, mono and stereo, on the torchaudio scale; probe reads STREAMINFO', async () => {
  for (const bits of [16, 24] as const) {
    for (const chans of [[left], [left, right]]) {
      const p = write(`t${bits}-${chans.length}.flac`, encodeFlac(22050, chans, bits, 1000));
      const d = await decodeAudio(p);
      assert.equal(d.sampleRate, 22050);
      assert.equal(d.channelData.length, chans.length);
      assert.equal(d.mono.length, 3001, 'every frame decoded, the short last one included');
      for (let c = 0; c < chans.length; c++) for (let i = 0; i < 3001; i += 5) assert.equal(d.channelData[c][i], Math.fround(quantised(chans[c][i], bits)), `${bits}-bit ch${c} sample ${i}`);
      const info = probeAudio(p);
      assert.deepEqual([info.format, info.sampleRate, info.channels, info.numFrames, info.bitsPerSample], ['flac', 22050, chans.length, 3001, bits]);
    }
  }
});

async function decodeError(input: string | Uint8Array): Promise<InputError> {
  try {
    await decodeAudio(input, typeof input === 'string' ? undefined : 'buffer.bin');
  } catch (e) {
    assert.ok(e instanceof InputError, `expected an InputError, got ${String(e)}`);
    return e;
  }
  assert.fail('decoding should have failed');
}

test('bad files: each gives an InputError naming the file and the problem', async () => {
  const good = encodeWav({ sampleRate: 16000, channels: [left], format: 'pcm16' });
  const cases: [string, Uint8Array | null, RegExp][] = [
    ['text.wav', new TextEncoder().encode('this is not audio at all'), /not a WAV or FLAC file/],
    ['empty.wav', new Uint8Array(0), /empty file/],
    ['truncated.wav', good.subarray(0, 2000), /declares 6002 bytes but only 1956 follow/],
    ['header-only.wav', good.subarray(0, 44), /declares 6002 bytes but only 0 follow/],
    ['zero.wav', encodeWav({ sampleRate: 16000, channels: [new Float32Array(0)], format: 'pcm16' }), /no samples/],
    ['nan.wav', encodeWav({ sampleRate: 16000, channels: [Float32Array.from([0.1, NaN, 0.2])], format: 'float32' }), /sample 1 \(channel 0\) is NaN/],
    ['inf.wav', encodeWav({ sampleRate: 16000, channels: [Float32Array.from([0.1, 0.2, -Infinity])], format: 'float32' }), /sample 2 \(channel 0\) is -Infinity/],
    ['lying-align.wav', (() => {
      const b = good.slice();
      new DataView(b.buffer).setUint16(32, 3, true); // block align 3 for 16-bit mono
      return b;
    })(), /block align 3/],
    ['rf64.wav', (() => {
      const b = good.slice();
      b.set([0x52, 0x46, 0x36, 0x34]);
      return b;
    })(), /RF64/],
    ['trunc.flac', encodeFlac(16000, [left], 16, 1000).subarray(0, 3000), /truncated or corrupt: STREAMINFO declares 3001 samples, only 1000 decoded/],
    ['meta-only.flac', encodeFlac(16000, [left], 16, 1000).subarray(0, 42), /no audio frames/],
  ];
  for (const [name, bytes, pattern] of cases) {
    const p = write(name, bytes!);
    const e = await decodeError(p);
    assert.match(e.message, pattern, name);
    assert.ok(e.message.startsWith(p + ': '), `${name}: message names the file: ${e.message}`);
  }
  mkdirSync(join(dir, 'folder.wav'));
  assert.match((await decodeError(join(dir, 'folder.wav'))).message, /cannot read: .*directory/);
  assert.match((await decodeError(join(dir, 'missing.wav'))).message, /cannot read: ENOENT/);
  // A corrupt FLAC frame in the middle: the decoder skips it, the count exposes it.
  const flac = encodeFlac(16000, [left], 16, 1000);
  const corrupt = flac.slice();
  for (let i = 2500; i < 2600; i++) corrupt[i] ^= 0x5a;
  assert.match((await decodeError(write('corrupt.flac', corrupt))).message, /FLAC decoding failed|truncated or corrupt/);
});
