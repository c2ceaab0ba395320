/** Spawning the real CLI and building small corpora of good and bad recordings for the CLI tests. */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { cliPath } from '../helpers/paths.ts';
import { encodeFlac, encodeWav, testSignal } from '../helpers/audio-files.ts';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `speech-ssl ...args` to completion. */
export function runCli(args: string[], cwd?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cliPath, args, { cwd, env: { ...process.env, CI: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** All files under `root`, relative, sorted. */
export function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}

function put(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}

/** Good recordings in several layouts and rates, in nested folders; returns their relative paths. */
export function writeGoodCorpus(root: string, count = 9, seconds = 0.6): string[] {
  const rels: string[] = [];
  for (let i = 0; i < count; i++) {
    const kind = i % 3;
    const rate = [16000, 8000, 44100][kind];
    const x = testSignal(Math.round(rate * (seconds + 0.1 * i)), rate, i + 1);
    const rel = kind === 2 ? `spk${i % 2}/utt${String(i).padStart(2, '0')}.flac` : `spk${i % 2}/utt${String(i).padStart(2, '0')}.wav`;
    const bytes = kind === 2 ? encodeFlac(rate, [x, x.map((v) => v * 0.5)], 16, 4096) : encodeWav({ sampleRate: rate, channels: [x], format: kind === 0 ? 'pcm16' : 'float32' });
    put(join(root, rel), bytes);
    rels.push(rel);
  }
  return rels.sort();
}

/** One file per kind of bad input; returns relative path -> expected problem pattern. */
export function writeBadCorpus(root: string): Map<string, RegExp> {
  const good = encodeWav({ sampleRate: 16000, channels: [testSignal(8000, 16000)], format: 'pcm16' });
  const bad = new Map<string, RegExp>();
  const add = (rel: string, bytes: Uint8Array, why: RegExp) => {
    put(join(root, rel), bytes);
    bad.set(rel, why);
  };
  add('bad/not-audio.wav', new TextEncoder().encode('plain text, not a recording'), /not a WAV or FLAC file/);
  add('bad/truncated.wav', good.subarray(0, 5000), /declares 16000 bytes but only 4956 follow/);
  add('bad/zero.wav', encodeWav({ sampleRate: 16000, channels: [new Float32Array(0)], format: 'pcm16' }), /no samples/);
  add('bad/nan.wav', encodeWav({ sampleRate: 16000, channels: [Float32Array.from({ length: 4000 }, (_, i) => (i === 123 ? NaN : 0.1))], format: 'float32' }), /sample 123 \(channel 0\) is NaN/);
  const lying = good.slice();
  new DataView(lying.buffer).setUint32(40, 10_000_000, true); // data chunk claims 10 MB
  add('bad/lying-header.wav', lying, /declares 10000000 bytes but only 16000 follow/);
  add('bad/empty.flac', new Uint8Array(0), /empty file/);
  add('bad/short.wav', encodeWav({ sampleRate: 16000, channels: [testSignal(200, 16000)], format: 'pcm16' }), /shorter than one 25 ms frame/);
  return bad;
}
