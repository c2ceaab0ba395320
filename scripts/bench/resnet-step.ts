/**
 * `npm run bench -- resnet-step [--backend wasm|cpu] [--threads 1] [--batch 64] [--rounds 4] [--steps 3]
 *  [--stem 16] [--widths 16,32,64] [--strides 2,2,2]`
 *
 * Forward and backward of the CIFAR recipe's GroupNorm ResNet on a [batch, 32, 32, 3] batch (loss: mean
 * of the squared output tokens) in three set-ups, alternating (`rounds` times, `steps` of each):
 *  - `composite`: group norm as composite kernels, filter gradients on XNNPACK (the engine before both);
 *  - `gn_kernels`: group norm on the engine's kernels (src/engine/group-norm-kernels.ts);
 *  - `gn_kernels_gemm_filter`: and the filter gradients as one native GEMM (src/engine/conv-im2col.ts).
 * Prints one JSON line: the median ms per step of each, the ratio of composite to the others, and the load
 * average before and after (on a shared machine only a ratio measured this way means anything).
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadavg } from 'node:os';
import { Args } from '../../src/util/args.ts';
import { initBackend, type BackendChoice } from '../../src/engine/backend.ts';
import { GROUP_NORM_GRAD_KERNEL, GROUP_NORM_KERNEL, installGroupNormKernels } from '../../src/engine/group-norm-kernels.ts';
import { ResNetEncoder } from '../../src/models/resnet.ts';
import { denseProvider, setDenseProvider } from '../../src/engine/ort-matmul.ts';

const ints = (s: string) => s.split(',').map((v) => Number.parseInt(v, 10));

export async function main(argv: string[]): Promise<void> {
  const args = new Args(argv);
  const backend = args.string('backend', 'wasm') as BackendChoice;
  const threads = args.int('threads', 1);
  const batch = args.int('batch', 64);
  const rounds = args.int('rounds', 4);
  const steps = args.int('steps', 3);
  const stem = args.int('stem', 16);
  const widths = ints(args.string('widths', '16,32,64'));
  const strides = ints(args.string('strides', '2,2,2'));
  args.rejectUnknown();
  const before = loadavg();
  await initBackend(backend, { threads });
  const name = tf.getBackend();
  const enc = new ResNetEncoder({ stemWidth: stem, widths, strides, blocks: widths.map(() => 1), seed: 1 });
  const x = tf.randomNormal([batch, 32, 32, 3], 0, 1, 'float32', 1);
  const step = () => {
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(enc.features(x).features)) as tf.Scalar);
    tf.dispose([value, ...Object.values(grads)]);
  };
  const useKernels = (on: boolean) => {
    if (on) installGroupNormKernels();
    else for (const k of [GROUP_NORM_KERNEL, GROUP_NORM_GRAD_KERNEL]) if (tf.getKernel(k, name)) tf.unregisterKernel(k, name);
  };
  const gemm = denseProvider();
  const modes = ['composite', 'gn_kernels', 'gn_kernels_gemm_filter'] as const;
  const times: Record<(typeof modes)[number], number[]> = { composite: [], gn_kernels: [], gn_kernels_gemm_filter: [] };
  for (let r = 0; r < rounds; r++) {
    for (const mode of modes) {
      useKernels(mode !== 'composite');
      setDenseProvider(mode === 'gn_kernels_gemm_filter' ? gemm : null);
      step(); // warm-up
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) step();
      times[mode].push((performance.now() - t0) / steps);
    }
  }
  useKernels(true);
  setDenseProvider(gemm);
  const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
  const result = {
    bench: 'resnet-step',
    backend: name,
    threads,
    model: { stem, widths, strides, batch },
    native_gemm: gemm !== null,
    ms_per_step: Object.fromEntries(modes.map((m) => [m, Math.round(median(times[m]))])),
    speedup_over_composite: Object.fromEntries(modes.slice(1).map((m) => [m, Math.round((median(times.composite) / median(times[m])) * 100) / 100])),
    load_avg: { before: before.map((v) => Math.round(v * 100) / 100), after: loadavg().map((v) => Math.round(v * 100) / 100) },
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
