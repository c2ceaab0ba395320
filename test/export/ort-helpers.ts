import * as ort from 'onnxruntime-node';
import type { GraphBuilder } from '../../src/export/graph.ts';
import { encodeModel, modelProto } from '../../src/util/onnx-proto.ts';
import { Rng } from '../../src/util/rng.ts';

/** Shared by the export tests: run a built graph in onnxruntime and compare arrays. */

export type Feed = { data: Float32Array | BigInt64Array | Int32Array | Uint8Array; dims: number[]; type?: 'bool' };

function ortTensor(f: Feed): ort.Tensor {
  if (f.type === 'bool') return new ort.Tensor('bool', f.data as Uint8Array, f.dims);
  if (f.data instanceof Float32Array) return new ort.Tensor('float32', f.data, f.dims);
  if (f.data instanceof BigInt64Array) return new ort.Tensor('int64', f.data, f.dims);
  if (f.data instanceof Int32Array) return new ort.Tensor('int32', f.data, f.dims);
  return new ort.Tensor('uint8', f.data, f.dims);
}

/** Builds the model, runs it once on CPU, returns every output as {data, dims}. */
export async function runGraph(g: GraphBuilder, feeds: Record<string, Feed>): Promise<Record<string, { data: ArrayLike<number | bigint>; dims: number[] }>> {
  const bytes = encodeModel(modelProto(g.build()));
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  const input: Record<string, ort.Tensor> = {};
  for (const [k, f] of Object.entries(feeds)) input[k] = ortTensor(f);
  const res = await session.run(input);
  const out: Record<string, { data: ArrayLike<number | bigint>; dims: number[] }> = {};
  for (const [k, t] of Object.entries(res)) out[k] = { data: t.data as ArrayLike<number | bigint>, dims: [...t.dims] };
  await session.release();
  return out;
}

/** Largest absolute difference; throws when lengths differ. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** Seeded uniform values in [lo, hi). */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.uniform(lo, hi));
}
