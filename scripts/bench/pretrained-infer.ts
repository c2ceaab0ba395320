/**
 * `npm run bench -- pretrained-infer [--runs 3] [--threads 2] [--seconds 10] [--backend wasm]`: a HuBERT-base-
 * shaped model (torchaudio's `hubert_base`, seeded random weights, 94.4M parameters) on one utterance of 10 s,
 * imported with `speech-ssl import`'s torchaudio path, through the tfjs forward and through its ONNX export in
 * onnxruntime-node, against PyTorch eager (torchaudio, `torch.inference_mode`) on the same waveform with the
 * same thread count, in one run: the three alternate, run after run (PyTorch in a helper process that stays
 * up: scripts/bench/pretrained_infer_reference.py). Prints one JSON line per runtime, then a summary line with
 * the medians, the ratios to PyTorch and the largest differences of the outputs from PyTorch's.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { execFileSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import { backendInfo, initBackend, type BackendChoice } from '../../src/engine/backend.ts';
import { planImport } from '../../src/checkpoint/import/import-source.ts';
import { assembleEncoder } from '../../src/checkpoint/import/import-plan.ts';
import { exportEncoderModel } from '../../src/export/export-model.ts';
import '../../src/export/encoders/index.ts';
import { OnnxRunner } from '../../src/export/runner.ts';
import { Args } from '../../src/util/args.ts';
import { readNpy } from '../../src/util/npy.ts';

const PYTHON = '/usr/bin/python3';
const HELPER = join(dirname(fileURLToPath(import.meta.url)), 'pretrained_infer_reference.py');

/** The PyTorch helper process: one request, one JSON line back. */
class TorchEager {
  private readonly lines: AsyncIterator<string>;
  private readonly child;
  constructor(dir: string, threads: number) {
    this.child = spawn(PYTHON, [HELPER, 'serve', dir, String(threads)], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }
  async next(): Promise<Record<string, unknown>> {
    const r = await this.lines.next();
    if (r.done) throw new Error('the PyTorch helper exited');
    return JSON.parse(r.value) as Record<string, unknown>;
  }
  async ask(cmd: string): Promise<Record<string, unknown>> {
    this.child.stdin.write(cmd + '\n');
    return this.next();
  }
  close(): void {
    this.child.stdin.end();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number) => Math.round(x * 10) / 10;

function maxDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export async function main(argv: string[]): Promise<void> {
  const args = new Args(argv);
  const runs = args.int('runs', 3);
  const threads = args.int('threads', 2);
  const seconds = args.number('seconds', 10);
  const backendChoice = args.choice<BackendChoice>('backend', ['auto', 'tensorflow', 'wasm', 'cpu'], 'wasm');
  args.rejectUnknown();
  const dir = mkdtempSync(join(tmpdir(), 'bench-pretrained-'));
  try {
    const made = JSON.parse(execFileSync(PYTHON, [HELPER, 'write', dir, String(seconds)], { encoding: 'utf8' }).trim().split('\n').pop()!);
    const backend = await initBackend(backendChoice, { threads, log: (m) => process.stderr.write(m + '\n') });
    const t0 = performance.now();
    const plan = planImport({ source: join(dir, 'hubert-base.pt'), config: join(dir, 'hubert-base.json') });
    const { encoder } = assembleEncoder(plan);
    const importMs = performance.now() - t0;
    const onnx = exportEncoderModel(encoder, { layers: 'last', paddingMask: false, inputRate: 16000 });
    const runner = await OnnxRunner.open(onnx.bytes, { device: 'cpu', threads });
    const wave = readNpy(join(dir, 'wave.npy')).data as Float32Array;
    const torch = new TorchEager(dir, threads);
    await torch.next();
    const times = { torch: [] as number[], onnx: [] as number[], tfjs: [] as number[] };
    let ortOut: Float32Array = new Float32Array(0);
    let tfjsOut: Float32Array = new Float32Array(0);
    const load: number[] = [];
    for (let r = 0; r < runs + 1; r++) {
      load.push(loadavg()[0]);
      const pt = Number((await torch.ask('run')).ms);
      let t = performance.now();
      ortOut = (await runner.runBatch([{ data: wave, steps: wave.length }])).get('hidden')![0].data;
      const ort = performance.now() - t;
      t = performance.now();
      tfjsOut = tf.tidy(() => Float32Array.from(encoder.forward(tf.tensor2d(wave, [1, wave.length])).output.dataSync() as Float32Array));
      const tj = performance.now() - t;
      if (r === 0) continue; // warm-up
      times.torch.push(pt);
      times.onnx.push(ort);
      times.tfjs.push(tj);
    }
    const refFile = join(dir, 'torch-out.npy');
    await torch.ask(`save ${refFile}`);
    torch.close();
    await runner.close();
    const ref = readNpy(refFile).data as Float32Array;
    const base = { bench: 'pretrained-infer', model: `hubert_base shape, ${made.parameters} parameters`, audio_s: seconds, threads, runs };
    const med = { torch: median(times.torch), onnx: median(times.onnx), tfjs: median(times.tfjs) };
    process.stdout.write(JSON.stringify({ ...base, runtime: 'pytorch-eager', ms: round(med.torch), all_ms: times.torch.map(round) }) + '\n');
    process.stdout.write(JSON.stringify({ ...base, runtime: 'onnxruntime', ms: round(med.onnx), all_ms: times.onnx.map(round), max_abs_diff_vs_torch: Number(maxDiff(ortOut, ref).toExponential(2)) }) + '\n');
    process.stdout.write(JSON.stringify({ ...base, runtime: `tfjs-${backend}`, backend: backendInfo()?.description ?? backend, ms: round(med.tfjs), all_ms: times.tfjs.map(round), max_abs_diff_vs_torch: Number(maxDiff(tfjsOut, ref).toExponential(2)) }) + '\n');
    process.stdout.write(
      JSON.stringify({
        ...base,
        import_ms: Math.round(importMs),
        onnx_vs_torch: Math.round((med.torch / med.onnx) * 100) / 100,
        tfjs_vs_torch: Math.round((med.torch / med.tfjs) * 100) / 100,
        load_average: load.map((l) => Math.round(l * 10) / 10),
        cpus: cpus().length,
      }) + '\n',
    );
    encoder.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
