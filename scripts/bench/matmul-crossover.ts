/**
 * `npm run bench -- matmul-crossover [--backends wasm,cpu] [--threads N]`
 *
 * Where onnxruntime's GEMM (src/engine/ort-gemm.ts) starts to beat the engine's own product kernels:
 * square products from 4^3 to 128^3 multiply-adds and two shapes of hubert-tiny (a transposed
 * [16, 256] x [256, 256]^T and one attention item [200, 64] x [200, 64]^T), each timed with the native
 * GEMM on and off, alternating, in one process (median microseconds per product). The engine routes
 * products below a per-backend size to its own kernels (src/engine/ort-matmul.ts: minMacs).
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadavg } from 'node:os';
import { Args } from '../../src/util/args.ts';
import { initBackend } from '../../src/engine/backend.ts';
import { setDenseProvider, denseProvider, setDenseMinMacs } from '../../src/engine/ort-matmul.ts';

const SHAPES: [number, number, number, boolean][] = [
  [4, 4, 4, false], [8, 8, 8, false], [16, 16, 16, false], [24, 24, 24, false], [32, 32, 32, false], [40, 40, 40, false],
  [48, 48, 48, false], [64, 64, 64, false], [128, 128, 128, false], [16, 256, 256, true], [200, 64, 200, true],
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function main(argv: string[]): Promise<void> {
  const args = new Args(argv, []);
  const backends = (args.string('backends') ?? 'wasm,cpu').split(',').map((s) => s.trim()) as ('wasm' | 'cpu')[];
  const threads = args.int('threads') ?? 1;
  args.rejectUnknown();
  const rows: { backend: string; m: number; k: number; n: number; transB: boolean; ort_us: number; own_us: number }[] = [];
  for (const be of backends) {
    await initBackend(be, { threads, log: (m) => process.stderr.write(`matmul-crossover: ${m}\n`) });
    const gemm = denseProvider();
    if (!gemm) continue;
    setDenseMinMacs(be, 0);
    for (const [m, k, n, tb] of SHAPES) {
      const a = tf.randomNormal([m, k]);
      const b = tf.randomNormal(tb ? [n, k] : [k, n]);
      const reps = Math.max(5, Math.min(2000, Math.floor(2e7 / (m * k * n))));
      const times = { ort: [] as number[], own: [] as number[] };
      for (let r = 0; r < 10; r++) {
        const on = r % 2 === 0;
        setDenseProvider(on ? gemm : null);
        const t0 = performance.now();
        for (let i = 0; i < reps; i++) tf.matMul(a, b, false, tb).dispose();
        (on ? times.ort : times.own).push(((performance.now() - t0) / reps) * 1000);
      }
      const row = { backend: be, m, k, n, transB: tb, ort_us: Math.round(median(times.ort) * 10) / 10, own_us: Math.round(median(times.own) * 10) / 10 };
      rows.push(row);
      process.stderr.write(`${be} ${m}x${k}x${n}${tb ? ' (B^T)' : ''} ${m * k * n} MACs: onnxruntime ${row.ort_us} us, engine ${row.own_us} us\n`);
      tf.dispose([a, b]);
    }
    setDenseProvider(gemm);
  }
  process.stdout.write(`${JSON.stringify({ bench: 'matmul-crossover', threads, load_avg: loadavg().map((x) => Math.round(x * 10) / 10), rows })}\n`);
}
