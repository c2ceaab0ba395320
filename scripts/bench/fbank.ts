/**
 * `npm run bench -- fbank [--repeats 3] [--jobs 2] [--long-file]`: corpus feature-extraction throughput
 * (../shared/bench/README.md). Every FSDD recording: decode, resample 8 -> 16 kHz, Kaldi fbank 80 bins
 * (dither 0), results kept in memory; the same code path as `speech-ssl extract`. Reports the median wall
 * time over repeats on one thread, then on --jobs worker threads (started once, outside the timing), and
 * Meyda's MFCC on the same 400-sample frames (zero-padded to 512, as Meyda needs a power of two). CPU time
 * is printed beside wall time because these machines are shared. With --long-file it first extracts a
 * generated one-hour recording through the CLI's corpus loop and reports the process's peak RSS. With
 * --odd-rates it featurizes one second of audio whose header says 44,100 (the table path, for reference),
 * 44,101 and 96,001 Hz (per-output resampling: issue #15), alternating, and reports each one's median
 * wall time and the process's peak RSS.
 */
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Args } from '../../src/util/args.ts';
import { createFeaturizer } from '../../src/features/featurizer.ts';
import { featurizeFile } from '../../src/features/extract/featurize-file.ts';
import { WorkerPool } from '../../src/features/extract/pool.ts';
import { runExtract } from '../../src/features/extract/run-extract.ts';
import { decodeAudio } from '../../src/audio/decode.ts';
import { resample } from '../../src/audio/resample.ts';
import type { FeatureMatrix } from '../../src/audio/feature-matrix.ts';

const fsddDir = join(process.cwd(), '..', 'shared', 'data', 'fsdd', 'recordings');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** The 44-byte header of a mono 16-bit PCM WAV of `samples` samples at `rate` Hz. */
function pcm16MonoHeader(rate: number, samples: number): Uint8Array {
  const header = new Uint8Array(44);
  const v = new DataView(header.buffer);
  header.set([0x52, 0x49, 0x46, 0x46], 0);
  v.setUint32(4, 36 + 2 * samples, true);
  header.set([0x57, 0x41, 0x56, 0x45, 0x66, 0x6d, 0x74, 0x20], 8);
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, rate, true);
  v.setUint32(28, 2 * rate, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  header.set([0x64, 0x61, 0x74, 0x61], 36);
  v.setUint32(40, 2 * samples, true);
  return header;
}

/** One second of a 16-bit tone whose header declares `rate` (rate samples). */
function writeRateWav(path: string, rate: number): void {
  const n = rate;
  const bytes = new Uint8Array(44 + 2 * n);
  bytes.set(pcm16MonoHeader(rate, n), 0);
  const v = new DataView(bytes.buffer);
  for (let i = 0; i < n; i++) v.setInt16(44 + 2 * i, Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), true);
  writeFileSync(path, bytes);
}

/** Writes `seconds` of a 16 kHz 16-bit tone-plus-noise WAV in 1 MiB pieces (never whole in memory). */
function writeLongWav(path: string, seconds: number): void {
  const n = seconds * 16000;
  const header = pcm16MonoHeader(16000, n);
  const fd = openSync(path, 'w');
  writeSync(fd, header);
  const chunk = new Int16Array(1 << 19);
  let s = 12345;
  for (let i = 0; i < n; i += chunk.length) {
    const m = Math.min(chunk.length, n - i);
    for (let k = 0; k < m; k++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const t = i + k;
      chunk[k] = Math.round(8000 * Math.sin(t * 0.07) + 3000 * Math.sin(t * 0.011) + ((s >>> 16) - 32768) / 16);
    }
    writeSync(fd, new Uint8Array(chunk.buffer, 0, m * 2));
  }
  closeSync(fd);
}

export async function main(argv: string[]): Promise<void> {
  const args = new Args(argv, ['long-file', 'odd-rates']);
  const repeats = args.int('repeats', 3);
  const jobs = args.int('jobs', 2);
  const longFile = args.bool('long-file');
  const oddRates = args.bool('odd-rates');
  args.rejectUnknown();
  const extra: Record<string, number> = {};

  if (oddRates) {
    const dir = mkdtempSync(join(tmpdir(), 'speech-ssl-bench-rates-'));
    try {
      const f = await createFeaturizer('fbank', { dither: 0 });
      const rates = [44100, 44101, 96001];
      const times = new Map<number, number[]>(rates.map((r) => [r, []]));
      for (const r of rates) writeRateWav(join(dir, `r${r}.wav`), r);
      for (let k = 0; k < repeats; k++) {
        for (const r of rates) {
          const t0 = performance.now();
          await featurizeFile(join(dir, `r${r}.wav`), f, 'k');
          times.get(r)!.push((performance.now() - t0) / 1000);
        }
      }
      for (const r of rates) {
        extra[`rate_${r}_seconds`] = median(times.get(r)!);
        process.stderr.write(`1 s at ${r} Hz -> 16 kHz fbank: median ${(median(times.get(r)!) * 1000).toFixed(1)} ms over ${repeats}\n`);
      }
      extra.odd_rates_peak_rss_mb = process.resourceUsage().maxRSS / 1024;
      process.stderr.write(`peak RSS ${extra.odd_rates_peak_rss_mb.toFixed(0)} MB\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  if (longFile) {
    const dir = mkdtempSync(join(tmpdir(), 'speech-ssl-bench-long-'));
    try {
      writeLongWav(join(dir, 'hour.wav'), 3600);
      const rssBefore = process.resourceUsage().maxRSS / 1024;
      const r = await runExtract({ inputs: [join(dir, 'hour.wav')], outDir: join(dir, 'out'), features: 'fbank', values: {}, shard: { rank: 0, nshard: 1 }, jobs: 1, concat: false, overwrite: false });
      extra.long_file_seconds = r.audioSeconds;
      extra.long_file_frames = r.frames;
      extra.long_file_x_realtime = r.audioSeconds / r.wallSeconds;
      extra.long_file_peak_rss_mb = process.resourceUsage().maxRSS / 1024;
      process.stderr.write(`long file: ${r.audioSeconds} s of audio, ${r.frames} frames in ${r.wallSeconds.toFixed(1)} s; peak RSS ${extra.long_file_peak_rss_mb.toFixed(0)} MB (${rssBefore.toFixed(0)} MB before)\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const files = readdirSync(fsddDir).filter((f) => f.endsWith('.wav')).sort().map((f) => join(fsddDir, f));
  const featurizer = await createFeaturizer('fbank', { numMelBins: 80, dither: 0 });
  let audioSeconds = 0;
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const kept: FeatureMatrix[] = [];
    let secs = 0;
    const c0 = cpuSeconds();
    const t0 = performance.now();
    for (const f of files) {
      const out = await featurizeFile(f, featurizer, f);
      kept.push(out.matrix);
      secs += out.seconds;
    }
    walls.push((performance.now() - t0) / 1000);
    cpus.push(cpuSeconds() - c0);
    audioSeconds = secs;
    process.stderr.write(`1 thread, run ${r + 1}: ${walls[r].toFixed(3)} s wall, ${cpus[r].toFixed(3)} s CPU, ${kept.length} matrices\n`);
  }
  const wall = median(walls);

  const pool = await WorkerPool.start(jobs, 'fbank', { numMelBins: 80, dither: 0 });
  const poolWalls: number[] = [];
  try {
    const tasks = files.map((path, index) => ({ index, path, rel: path, out: null }));
    for (let r = 0; r < repeats; r++) {
      const kept: Float32Array[] = [];
      let failed = 0;
      const t0 = performance.now();
      await pool.run(tasks, (res) => {
        if (res.ok && res.data) kept.push(res.data);
        else failed++;
      });
      poolWalls.push((performance.now() - t0) / 1000);
      process.stderr.write(`${jobs} threads, run ${r + 1}: ${poolWalls[r].toFixed(3)} s wall, ${kept.length} matrices, ${failed} failed\n`);
    }
  } finally {
    await pool.close();
  }

  // Meyda's MFCC on the same frames: decode + resample as above, then Meyda per 400-sample frame.
  const meyda = (await import('meyda')).default as unknown as { bufferSize: number; sampleRate: number; extract(f: string, s: Float32Array): unknown };
  meyda.bufferSize = 512;
  meyda.sampleRate = 16000;
  const frame = new Float32Array(512);
  let meydaFrames = 0;
  const m0 = performance.now();
  for (const f of files) {
    const d = await decodeAudio(f);
    const x = resample(d.mono, d.sampleRate, 16000);
    for (let s = 0; s + 400 <= x.length; s += 160) {
      frame.set(x.subarray(s, s + 400));
      meyda.extract('mfcc', frame);
      meydaFrames++;
    }
  }
  const meydaWall = (performance.now() - m0) / 1000;
  process.stderr.write(`meyda mfcc: ${meydaFrames} frames in ${meydaWall.toFixed(3)} s\n`);

  const result = {
    bench: 'fbank',
    files: files.length,
    audio_seconds: +audioSeconds.toFixed(3),
    wall_seconds: +wall.toFixed(3),
    x_realtime: +(audioSeconds / wall).toFixed(1),
    threads: 1,
    cpu_seconds: +median(cpus).toFixed(3),
    cpu_x_realtime: +(audioSeconds / median(cpus)).toFixed(1),
    [`x_realtime_${jobs}_threads`]: +(audioSeconds / median(poolWalls)).toFixed(1),
    meyda_x_realtime: +(audioSeconds / meydaWall).toFixed(1),
    repeats,
    ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, +v.toFixed(2)])),
  };
  process.stdout.write(JSON.stringify(result) + '\n');
}
