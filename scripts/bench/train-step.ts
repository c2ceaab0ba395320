/**
 * `npm run bench -- train-step [--backends wasm,cpu,tensorflow] [--steps 20] [--warmup 3] [--threads N]
 *  [--profile] [--stock]`
 *
 * One training step of the fixed "hubert-tiny" model of ../shared/bench/README.md on every backend
 * present: x [8, 200, 80], Linear(80 -> 256), masked frames (~40%) replaced by a learned vector, 4
 * pre-LN transformer blocks (d 256, 4 heads, FFN 1024, GELU, biases), final LayerNorm,
 * Linear(256 -> 128), cosine logits against a learned codebook [100, 128] / 0.1, mean cross-entropy
 * over masked frames, AdamW (lr 5e-4, betas 0.9/0.98, eps 1e-6, weight decay 0.01). Prints one JSON
 * line per backend with the median of `steps` timed steps after `warmup`. `--profile` adds the kernels
 * that take the most time in one step; `--stock` runs without the engine's fast paths (for comparison).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Args } from '../../src/util/args.ts';
import { initBackend, backendInfo, type BackendChoice } from '../../src/engine/backend.ts';
import { AudioTransformerEncoder } from '../../src/models/audio-transformer.ts';
import { Linear } from '../../src/nn/linear.ts';
import { normal } from '../../src/nn/init.ts';
import { AdamW } from '../../src/train/adamw.ts';
import { Rng } from '../../src/util/rng.ts';
import { timeKernels } from './kernel-timer.ts';

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
  top_kernels?: Record<string, number>;
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

async function runBackend(choice: BackendChoice, steps: number, warmup: number, threads: number | 'auto', profile: boolean, fastPaths: boolean): Promise<StepResult | string> {
  const notes: string[] = [];
  const name = await initBackend(choice, { threads, log: (m) => notes.push(m), fastPaths });
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
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    losses.push(step());
    times.push(performance.now() - t0);
  }
  if (tf.memory().numTensors !== tensorsBefore) notes.push(`tensor count grew from ${tensorsBefore} to ${tf.memory().numTensors}`);
  times.sort((a, b) => a - b);
  const info = backendInfo();
  const result: StepResult = {
    bench: 'train-step', backend: name, ms_per_step: Math.round(times[Math.floor(times.length / 2)] * 10) / 10, threads: info?.threads ?? 0,
    description: info?.description ?? name, loss_first: losses[0], loss_last: losses[losses.length - 1],
  };
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
  args.rejectUnknown();
  let last: StepResult | null = null;
  for (const b of backends) {
    const r = await runBackend(b, b === 'cpu' ? cpuSteps : steps, b === 'cpu' ? Math.min(warmup, 1) : warmup, threads, profile, !stock);
    if (typeof r === 'string') process.stderr.write(`train-step: ${r}\n`);
    else {
      last = r;
      process.stdout.write(`${JSON.stringify(r)}\n`);
    }
  }
  if (!last) process.stdout.write(`${JSON.stringify({ bench: 'train-step', backend: 'none', ms_per_step: null })}\n`);
}
