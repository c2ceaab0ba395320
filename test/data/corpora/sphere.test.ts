import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAudio } from '../../../src/audio/decode.ts';
import { isSphere, parseSphereHeader, sphereToWav } from '../../../src/data/corpora/sphere.ts';
import { encodeSphere } from '../../recipes/fake-corpora.ts';

const samples = Float32Array.from({ length: 321 }, (_, i) => Math.round(Math.sin(i / 7) * 20000) / 32768);

test('sphereToWav: the same 16-bit samples in a RIFF WAV the decoder reads', async () => {
  const sph = encodeSphere(samples);
  assert.ok(isSphere(sph));
  const h = parseSphereHeader(sph, 'a.WAV');
  assert.deepEqual(h, { headerBytes: 1024, sampleRate: 16000, channels: 1, sampleCount: 321, bytesPerSample: 2, bigEndian: false });
  const wav = sphereToWav(sph, 'a.WAV');
  assert.equal(wav.length, 44 + 2 * 321);
  const d = await decodeAudio(wav, 'a.wav');
  assert.equal(d.sampleRate, 16000);
  assert.deepEqual(Array.from(d.mono), Array.from(samples));
});

test('sphereToWav: big-endian samples are swapped; compressed, 8-bit and truncated files are refused', async () => {
  const le = encodeSphere(samples);
  const be = le.slice();
  const text = new TextDecoder('latin1').decode(be.subarray(0, 1024)).replace('sample_byte_format -s2 01', 'sample_byte_format -s2 10');
  for (let i = 0; i < 1024; i++) be[i] = text.charCodeAt(i);
  for (let i = 1024; i < be.length; i += 2) [be[i], be[i + 1]] = [le[i + 1], le[i]];
  assert.deepEqual(Array.from((await decodeAudio(sphereToWav(be, 'b.WAV'), 'b.wav')).mono), Array.from(samples));
  const edit = (from: string, to: string) => {
    const x = le.slice();
    const t = new TextDecoder('latin1').decode(x.subarray(0, 1024)).replace(from, to);
    for (let i = 0; i < 1024; i++) x[i] = t.charCodeAt(i);
    return x;
  };
  assert.throws(() => sphereToWav(edit('sample_coding -s3 pcm', 'sample_coding -s26 pcm,embedded-shorten-v2.00'), 'c.WAV'), /c\.WAV: SPHERE sample_coding "pcm,embedded-shorten-v2.00" is not supported/);
  assert.throws(() => sphereToWav(edit('sample_n_bytes -i 2', 'sample_n_bytes -i 1'), 'd.WAV'), /d\.WAV: SPHERE sample_n_bytes 1: only 16-bit/);
  assert.throws(() => sphereToWav(le.subarray(0, 1200), 'e.WAV'), /e\.WAV: SPHERE header declares 321 samples \(1666 bytes\) but the file has 1200/);
  assert.throws(() => parseSphereHeader(new TextEncoder().encode('RIFF....WAVE'), 'f.wav'), /f\.wav: not a NIST SPHERE file/);
});
