/**
 * `npm run bench -- train-step [--backends wasm,cpu,tensorflow] [--steps 20] [--warmup 3] [--threads N]
 *  [--rounds R] [--torch auto|off] [--torch-threads 1,2] [--native-gemm on|off] [--profile] [--stock]`
 *
 * One training step of the fixed "hubert-tiny" model of ../shared/bench/README.md on every backend
 * present: x [8, 200, 80], Linear(80 -> 256), masked frames (~40%) replaced by a learned vector, 4
 * pre-LN transformer blocks (d 256, 4 heads, FFN 1024, GELU, biases), final LayerNorm,
 * Linear(256 -> 128), cosine logits against a learned codebook [100, 128] / 0.1, mean cross-entropy
 * over masked frames, AdamW (lr 5e-4, betas 0.9/0.98, eps 1e-6, weight decay 0.01). Prints one JSON
 * line per backend with the median of `steps` timed steps after `warmup`. `--profile` adds the kernels
 * that take the most time in one step; `--stock` runs without the engine's fast paths (for comparison);
 * `--native-gemm off` keeps the dense products on the engine's own kernels instead of onnxruntime's GEMM.
 *
 * When /usr/bin/python3 has torch (and `--torch` is not `off`), the same step in PyTorch
 * (hubert_tiny_step_pytorch.py beside this file) runs in the same bench, alternating: `rounds` times,
 * `steps` of ours, then `steps` of PyTorch on each of `--torch-threads` (default 1 and our thread count).
 * The line then carries PyTorch's median per thread count, the ratio ours / PyTorch, and the load
 * average before and after: on a shared machine only a ratio measured this way means anything.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Args } from '../../src/util/args.ts';
import { initBackend, backendInfo, resolveThreads, type BackendChoice } from '../../src/engine/backend.ts';
import { AudioTransformerEncoder } from '../../src/models/audio-transformer.ts';
import { Linear } from '../../src/nn/linear.ts';
import { normal } from '../../src/nn/init.ts';
import { AdamW } from '../../src/train/adamw.ts';
import { Rng } from '../../src/util/rng.ts';
import { timeKernels } from './kernel-timer.ts';
import { torchAvailable, torchStepMs } from './torch-reference.ts';
import { loadavg } from 'node:os';

const B = 8;
const T = 200;
const F = 80;
const K = 100;

interface StepResult {
  bench: 'train-step';
  backend: string;
  ms_per_step: number;
  threads: number;
  description: string;
  loss_first: number;
  loss_last: number;
  /** Median ms per step of the PyTorch reference, by its thread count, measured between our rounds. */
  torch_ms?: Record<string, number>;
  /** Median over rounds of (our median / PyTorch's) in that round, by PyTorch's thread count. */
  ratio_vs_torch?: Record<string, number>;
  /** Each round: our median, then PyTorch's by thread count. */
  rounds?: { ours: number; torch: Record<string, number> }[];
  load_avg: { before: number[]; after: number[] };
  top_kernels?: Record<string, number>;
}

interface RunOptions {
  steps: number;
  warmup: number;
  threads: number | 'auto';
  profile: boolean;
  fastPaths: boolean;
  nativeGemm: boolean;
  rounds: number;
  /** PyTorch thread counts to alternate with (empty: no reference). */
  torchThreads: number[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function load(): number[] {
  return loadavg().map(round1);
}

function buildModel(rng: Rng) {
  const encoder = new AudioTransformerEncoder(
    {
      kind: 'audio-transformer', frontend: 'linear', inputDim: F, convLayers: [{ channels: 1, kernel: 1, stride: 1 }], convNorm: 'none', featureNorm: false,
      dim: 256, layers: 4, heads: 4, ffnDim: 1024, normFirst: true, dropout: 0, attentionDropout: 0, activationDropout: 0, inputDropout: 0, posConv: null,
    },
    rng.fork(),
  );
  const proj = new Linear(256, 128, { rng: rng.fork() });
  const codebook = tf.variable(normal(rng.fork(), [K, 128], 1), true, 'label_embs');
  const params = new Map<string, tf.Variable>([...encoder.trainableParameters('encoder.'), ...proj.trainableParameters('final_proj.'), ['label_embs', codebook]]);
  return { encoder, proj, codebook, params };
}

function makeBatch(rng: Rng) {
  const x = tf.tensor3d(rng.normalArray(B * T * F), [B, T, F]);
  const labels = tf.tensor1d(Int32Array.from({ length: B * T }, () => rng.int(K)), 'int32');
  const maskValues = Float32Array.from({ length: B * T }, () => (rng.next() < 0.4 ? 1 : 0));
  const mask = tf.tensor2d(maskValues, [B, T]);
  return { x, labels, mask };
}

async function runBackend(choice: BackendChoice, o: RunOptions): Promise<StepResult | string> {
  const { steps, warmup, threads, profile, fastPaths, nativeGemm } = o;
  const notes: string[] = [];
  const loadBefore = load();
  const name = await initBackend(choice, { threads, log: (m) => notes.push(m), fastPaths, nativeGemm });
  if (name !== choice) return `${choice}: not available (${notes.join('; ')})`;
  const rng = new Rng(2024);
  const { encoder, proj, codebook, params } = buildModel(rng);
  const { x, labels, mask } = makeBatch(rng);
  const opt = new AdamW({ lr: 5e-4, beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: 0.01, noDecay: () => false });
  const oneHot = tf.oneHot(labels, K);
  const maskFlat = tf.reshape(mask, [B * T]);
  const maskCount = tf.sum(maskFlat);
  const lossFn = () =>
    tf.tidy(() => {
      const out = encoder.forward(x, { frameMask: mask });
      const z = proj.forward(tf.reshape(out.output, [B * T, 256]));
      const zn = tf.div(z, tf.norm(z, 'euclidean', -1, true));
      const cn = tf.div(codebook, tf.norm(codebook, 'euclidean', -1, true));
      const logits = tf.div(tf.matMul(zn, cn, false, true), 0.1);
      const nll = tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), oneHot), -1));
      return tf.div(tf.sum(tf.mul(nll, maskFlat)), maskCount) as tf.Scalar;
    });
  const step = (): number => {
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(lossFn, [...params.values()]);
      const byName = new Map<string, tf.Tensor>();
      for (const [n, v] of params) byName.set(n, grads[v.name]);
      opt.step(params, byName);
      return value;
    });
    const v = loss.dataSync()[0];
    loss.dispose();
    return v;
  };
  const losses: number[] = [];
  for (let i = 0; i < warmup; i++) losses.push(step());
  const tensorsBefore = tf.memory().numTensors;
  const times: number[] = [];
  const rounds: { ours: number; torch: Record<string, number> }[] = [];
  for (let r = 0; r < Math.max(1, o.rounds); r++) {
    const mine: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      losses.push(step());
      mine.push(performance.now() - t0);
    }
    times.push(...mine);
    const torch: Record<string, number> = {};
    for (const t of o.torchThreads) torch[t] = torchStepMs(t, steps);
    rounds.push({ ours: round1(median(mine)), torch });
    if (o.torchThreads.length > 0) process.stderr.write(`train-step ${name} round ${r + 1}: ours ${round1(median(mine))} ms; PyTorch ${Object.entries(torch).map(([t, ms]) => `${ms} ms (${t} thread${t === '1' ? '' : 's'})`).join(', ')}; load ${load().join(' ')}\n`);
  }
  if (tf.memory().numTensors !== tensorsBefore) notes.push(`tensor count grew from ${tensorsBefore} to ${tf.memory().numTensors}`);
  const info = backendInfo();
  const ours = round1(median(times));
  const result: StepResult = {
    bench: 'train-step', backend: name, ms_per_step: ours, threads: info?.threads ?? 0,
    description: info?.description ?? name, loss_first: losses[0], loss_last: losses[losses.length - 1], load_avg: { before: loadBefore, after: loadBefore },
  };
  if (o.torchThreads.length > 0) {
    result.torch_ms = {};
    result.ratio_vs_torch = {};
    // The ratio is the median of each round's ratio: a round's two sides ran within a minute of each
    // other, so a load swing between rounds cancels out of it.
    for (const t of o.torchThreads) {
      result.torch_ms[t] = median(rounds.map((x) => x.torch[t]));
      result.ratio_vs_torch[t] = Math.round(median(rounds.map((x) => x.ours / x.torch[t])) * 100) / 100;
    }
    result.rounds = rounds;
  }
  if (profile) {
    const timer = timeKernels(name);
    timer.start();
    const t0 = performance.now();
    step();
    const wall = performance.now() - t0;
    timer.stop();
    result.top_kernels = timer.byKernel(12);
    process.stderr.write(timer.table(30, `train-step ${name}: one step of ${wall.toFixed(0)} ms; kernel time by op and input shapes`));
  }
  tf.dispose([x, labels, mask, oneHot, maskFlat, maskCount]);
  opt.dispose();
  encoder.dispose();
  proj.dispose();
  codebook.dispose();
  for (const n of notes) process.stderr.write(`train-step ${name}: ${n}\n`);
  result.load_avg.after = load();
  return result;
}

export async function main(argv: string[]): Promise<void> {
  const args = new Args(argv, ['profile', 'stock']);
  const backends = (args.string('backends') ?? 'tensorflow,wasm,cpu').split(',').map((s) => s.trim()) as BackendChoice[];
  const steps = args.int('steps') ?? 20;
  const warmup = args.int('warmup') ?? 3;
  const threadsArg = args.string('threads');
  const threads = threadsArg === undefined || threadsArg === 'auto' ? 'auto' : Number(threadsArg);
  const profile = args.bool('profile');
  const stock = args.bool('stock');
  // The pure-JS backend takes tens of seconds per step: fewer steps there unless asked.
  const cpuSteps = args.int('cpu-steps', 5);
  const rounds = args.int('rounds', 3);
  const torchChoice = args.string('torch', 'auto');
  const nativeGemmChoice = args.string('native-gemm', 'on');
  const torchThreadsArg = args.string('torch-threads');
  args.rejectUnknown();
  if (!['on', 'off'].includes(nativeGemmChoice)) throw new Error(`--native-gemm: expected on or off, got "${nativeGemmChoice}"`);
  if (!['auto', 'off'].includes(torchChoice)) throw new Error(`--torch: expected auto or off, got "${torchChoice}"`);
  let torchThreads: number[] = [];
  if (torchChoice === 'auto') {
    const torch = torchAvailable();
    if ('reason' in torch) process.stderr.write(`train-step: no PyTorch reference (${torch.reason})\n`);
    else {
      const ours = resolveThreads(threads);
      torchThreads = torchThreadsArg ? torchThreadsArg.split(',').map((t) => Number(t.trim())) : [...new Set([1, ours])];
      if (torchThreads.some((t) => !Number.isInteger(t) || t < 1)) throw new Error(`--torch-threads: expected positive integers, got "${torchThreadsArg}"`);
      process.stderr.write(`train-step: PyTorch ${torch.version} reference on ${torchThreads.join(' and ')} thread(s), alternating with our steps, ${rounds} rounds\n`);
    }
  }
  let last: StepResult | null = null;
  for (const b of backends) {
    const r = await runBackend(b, {
      steps: b === 'cpu' ? cpuSteps : steps, warmup: b === 'cpu' ? Math.min(warmup, 1) : warmup, threads, profile, fastPaths: !stock,
      nativeGemm: nativeGemmChoice === 'on', rounds, torchThreads,
    });
    if (typeof r === 'string') process.stderr.write(`train-step: ${r}\n`);
    else {
      last = r;
      process.stdout.write(`${JSON.stringify(r)}\n`);
    }
  }
  if (!last) process.stdout.write(`${JSON.stringify({ bench: 'train-step', backend: 'none', ms_per_step: null })}\n`);
}
