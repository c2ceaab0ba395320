/**
 * `npm run bench -- onnx-infer [--runs 10] [--threads 0] [--backend wasm]`: inference of the hubert-tiny
 * encoder (../shared/bench/README.md: Linear 80 -> 256, 4 pre-LN transformer blocks, d 256, 4 heads,
 * feed-forward 1024, GELU) on a batch of 8 utterances of 2 s of log-mel frames ([8, 200, 80]): the
 * exported ONNX model in onnxruntime-node (CPU) against the same forward pass in tfjs. Both run the same
 * seeded weights on the same input; the outputs are compared. Prints one JSON line per runtime, the
 * onnxruntime line last with the comparison.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backendInfo, initBackend, type BackendChoice } from '../../src/engine/backend.ts';
import { Module } from '../../src/nn/module.ts';
import { Linear } from '../../src/nn/linear.ts';
import { TransformerBlock } from '../../src/nn/transformer-block.ts';
import { ExportContext, type Seq } from '../../src/export/export-context.ts';
import { exportLayer } from '../../src/export/registry.ts';
import { encodeModel, modelProto } from '../../src/util/onnx-proto.ts';
import { OnnxRunner } from '../../src/export/runner.ts';
import '../../src/export/layers/index.ts';
import { Args } from '../../src/util/args.ts';
import { Rng } from '../../src/util/rng.ts';

const [B, T, F, D, HEADS, FFN, LAYERS] = [8, 200, 80, 256, 4, 1024, 4];

/** hubert-tiny up to the last transformer block, from the library's layers. */
class HubertTinyBody extends Module {
  readonly proj: Linear;
  readonly blocks: TransformerBlock[] = [];
  constructor(rng: Rng) {
    super();
    this.proj = this.child('proj', new Linear(F, D, { rng }));
    for (let i = 0; i < LAYERS; i++) this.blocks.push(this.child(`layers.${i}`, new TransformerBlock({ dim: D, heads: HEADS, ffnDim: FFN, normFirst: true, activation: 'gelu', rng: rng.fork() })));
  }
  forward(x: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => this.blocks.reduce((h, blk) => blk.forward(h), this.proj.forward(x) as tf.Tensor3D));
  }
}

function exportBody(body: HubertTinyBody): Uint8Array {
  const ctx = new ExportContext(body);
  const g = ctx.g;
  let h: Seq = { x: g.input('features', ['batch', 'time', F]), dim: F };
  h = exportLayer(ctx, body.proj, h);
  for (const blk of body.blocks) h = exportLayer(ctx, blk, h);
  g.output(h.x, 'hidden', ['batch', 'time', D]);
  return encodeModel(modelProto(g.build()));
}

async function median(runs: number, f: () => Promise<void>): Promise<number> {
  for (let i = 0; i < 2; i++) await f();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await f();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export async function main(argv: string[]): Promise<void> {
  const args = new Args(argv);
  const runs = args.int('runs', 10);
  const threads = args.int('threads', 0);
  const backendChoice = args.choice<BackendChoice>('backend', ['auto', 'tensorflow', 'wasm', 'cpu'], 'wasm');
  args.rejectUnknown();
  const backend = await initBackend(backendChoice, (m) => process.stderr.write(m + '\n'));
  const rng = new Rng(0);
  const body = new HubertTinyBody(rng).eval();
  const input = rng.normalArray(B * T * F);

  const x = tf.tensor3d(input, [B, T, F]);
  let tfjsOut: Float32Array = new Float32Array(0);
  const tfjsMs = await median(runs, async () => {
    const y = body.forward(x);
    tfjsOut = (await y.data()) as Float32Array;
    y.dispose();
  });
  x.dispose();
  const tfjsInfo = backendInfo()?.description ?? backend;
  process.stdout.write(JSON.stringify({ bench: 'onnx-infer', runtime: `tfjs-${backend}`, ms_per_batch: Math.round(tfjsMs * 10) / 10, backend: tfjsInfo }) + '\n');

  const runner = await OnnxRunner.open(exportBody(body), { device: 'cpu', threads });
  const utterances = Array.from({ length: B }, (_, i) => ({ data: input.subarray(i * T * F, (i + 1) * T * F), steps: T }));
  let ortOut: Float32Array[] = [];
  const ortMs = await median(runs, async () => {
    ortOut = (await runner.runBatch(utterances)).get('hidden')!.map((m) => m.data);
  });
  await runner.close();
  let maxDiff = 0;
  ortOut.forEach((o, i) => o.forEach((v, k) => (maxDiff = Math.max(maxDiff, Math.abs(v - tfjsOut[i * T * D + k])))));
  process.stdout.write(
    JSON.stringify({
      bench: 'onnx-infer',
      runtime: 'onnxruntime',
      ms_per_batch: Math.round(ortMs * 10) / 10,
      threads: threads || 'default',
      tfjs_backend: tfjsInfo,
      batch: [B, T, F],
      [`tfjs_${backend}_ms_per_batch`]: Math.round(tfjsMs * 10) / 10,
      speedup: Math.round((tfjsMs / ortMs) * 100) / 100,
      max_abs_diff: Number(maxDiff.toExponential(2)),
    }) + '\n',
  );
}
