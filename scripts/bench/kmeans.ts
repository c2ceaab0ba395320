/**
 * `npm run bench -- kmeans [--runs N] [--seed S] [--threads T] [--input FILE] [--js]`: mini-batch k-means with the fairseq
 * HuBERT recipe settings (k 100, batch 10,000, max_iter 100, max_no_improvement 100, n_init 20, k-means++,
 * reassignment 0, tol 0) on ../shared/bench/fsdd_mfcc39.npy. Times the fit (not the file read), as the
 * scikit-learn reference (8.9 s, inertia 6.637e7) does. Last line: the JSON object of the bench README;
 * with --runs N, wall_seconds is the median and inertia the one of the median run. cpu_seconds (user + system
 * time of the process during the fit) is printed too: on a shared machine it is the steadier figure.
 * `--threads T` runs the n_init seedings on T threads (the result is the same for any T; the reference is
 * one core, so compare the T = 1 figure with it). `seconds` splits the median run's wall time into the
 * seedings (with their validation), the mini-batch steps and the final assignment of all frames;
 * `cpu_split_seconds` is the same split in process CPU time.
 */
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Args } from '../../src/util/args.ts';
import { readNpy } from '../../src/util/npy.ts';
import { miniBatchKMeans } from '../../src/cluster/mini-batch-kmeans.ts';
import { createDistanceKernel } from '../../src/cluster/distance-kernel.ts';

export async function main(argv: string[]): Promise<void> {
  const args = new Args(argv, ['js']);
  const here = dirname(fileURLToPath(import.meta.url));
  const input = args.string('input', resolve(here, '../../../shared/bench/fsdd_mfcc39.npy'));
  const runs = args.int('runs', 1);
  const seed = args.int('seed', 0);
  const threads = args.int('threads', 1);
  const forceJs = args.bool('js');
  args.rejectUnknown();
  const { data, shape } = readNpy(input);
  if (!(data instanceof Float32Array) || shape.length !== 2) throw new Error(`${input}: expected a 2-D float32 matrix`);
  const [n, dims] = shape;
  if (threads < 1) throw new Error(`--threads: expected a positive integer, got ${threads}`);
  const results: { wall: number; cpu: number; inertia: number; steps: number; kernel: string; stoppedBy: string; seconds?: { init: number; steps: number; final: number }; cpuSeconds?: { init: number; steps: number; final: number } }[] = [];
  for (let r = 0; r < runs; r++) {
    const kernel = createDistanceKernel(dims, { forceJs });
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const res = miniBatchKMeans(data, n, dims, { k: 100, seed: seed + r, algorithm: 'minibatch' }, { kernel, threads });
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1e6;
    results.push({ wall, cpu, inertia: res.inertia, steps: res.steps, kernel: res.kernel, stoppedBy: res.stoppedBy, seconds: res.seconds, cpuSeconds: res.cpuSeconds });
    const phases = (p: { init: number; steps: number; final: number }) => `seedings ${p.init.toFixed(2)} s, steps ${p.steps.toFixed(2)} s, final ${p.final.toFixed(2)} s`;
    const split = res.seconds && res.cpuSeconds ? ` [wall: ${phases(res.seconds)}; cpu: ${phases(res.cpuSeconds)}]` : '';
    process.stderr.write(`run ${r + 1}/${runs} (seed ${seed + r}, ${threads} thread(s)): ${wall.toFixed(2)} s (cpu ${cpu.toFixed(2)} s)${split}, inertia ${res.inertia.toExponential(4)}, ${res.steps} steps (${res.stoppedBy}), kernel ${res.kernel}\n`);
  }
  const sorted = [...results].sort((a, b) => a.wall - b.wall);
  const med = sorted[Math.floor((sorted.length - 1) / 2)];
  process.stdout.write(
    JSON.stringify({
      bench: 'kmeans',
      frames: n,
      dims,
      k: 100,
      wall_seconds: Number(med.wall.toFixed(3)),
      cpu_seconds: Number(med.cpu.toFixed(3)),
      inertia: Number(med.inertia.toPrecision(6)),
      steps: med.steps,
      kernel: med.kernel,
      threads,
      seconds: med.seconds && rounded(med.seconds),
      cpu_split_seconds: med.cpuSeconds && rounded(med.cpuSeconds),
      runs,
      seeds: results.map((_, r) => seed + r),
      steps_per_run: results.map((x) => x.steps),
      walls: results.map((x) => Number(x.wall.toFixed(3))),
      inertias: results.map((x) => Number(x.inertia.toPrecision(6))),
      reference: { sklearn_wall_seconds: 8.9, sklearn_inertia: 6.637e7 },
    }) + '\n',
  );
}

function rounded(p: { init: number; steps: number; final: number }) {
  return { init: Number(p.init.toFixed(3)), steps: Number(p.steps.toFixed(3)), final: Number(p.final.toFixed(3)) };
}
