import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { OrtGemm } from './ort-gemm.ts';
import { productShape, sizeOf } from './product-shape.ts';
import { heapAddress, wasmModule } from './wasm-views.ts';

/**
 * The dense products of the wasm and cpu backends on onnxruntime's GEMM (ort-gemm.ts), for the engine's
 * BatchMatMul and _FusedMatMul kernels (wasm-matmul.ts, cpu-matmul.ts), which try this first and keep
 * their own path for what it declines: products below `minMacs` multiply-adds (there the native call's
 * fixed cost is comparable to the arithmetic), non-float32 operands, batch shapes that need general
 * broadcasting, and biases that are not a vector over the output columns.
 *
 * Operands are read where the backend keeps them: the cpu backend's Float32Arrays, and views of the
 * wasm heap. The threaded wasm build's heap is a SharedArrayBuffer, which the binding refuses; there
 * operands and result pass through a scratch buffer (copies cost about 1-3% of the product).
 * A batch of A meeting an unbatched B is one product with the batch folded into rows; other batches
 * are one product per item, on subarrays (on wasm, batches of small items stay on the engine's kernel).
 */

let provider: OrtGemm | null = null;
/**
 * Products with fewer multiply-adds (batch x m x k x n) stay on the engine's kernels. The native call
 * costs about 40-60 us however small the product (feeds, session run, output shape checks); measured
 * by `npm run bench -- matmul-crossover` (alternating, same process): XNNPACK on wasm is faster below about 2^16
 * multiply-adds, the cpu backend's JS loop below about 2^14.
 */
export const DENSE_MIN_MACS: Readonly<Record<'wasm' | 'cpu', number>> = { wasm: 1 << 16, cpu: 1 << 14 };
const minMacs: Record<'wasm' | 'cpu', number> = { ...DENSE_MIN_MACS };

/** The item size up to which the wasm kernel keeps batched products (wasm-matmul.ts: SMALL_ITEM_MACS). */
const WASM_SMALL_ITEM_MACS = 1 << 23;

let served = 0;

/** How many products (kernel calls) onnxruntime's GEMM has computed in this process. */
export function denseProductsServed(): number {
  return served;
}

/** Sets (or, with null, removes) the GEMM the products go to; `initBackend` calls it. */
export function setDenseProvider(gemm: OrtGemm | null): void {
  provider = gemm;
}

/** The GEMM products go to now, or null when the engine's own kernels run them. */
export function denseProvider(): OrtGemm | null {
  return provider;
}

/** Sets the size under which products stay on the engine's kernels (the crossover bench sets 0). */
export function setDenseMinMacs(backendName: 'wasm' | 'cpu', macs: number): void {
  minMacs[backendName] = macs;
}

/** How a kernel reads its inputs and makes its output on one backend. */
interface Memory {
  read(t: TensorInfo): Float32Array;
  output(shape: number[]): { info: TensorInfo; data: Float32Array };
}

function wasmMemoryAccess(backend: BackendWasm): Memory {
  const heap = () => wasmModule(backend).HEAPF32;
  return {
    read: (t) => heap().subarray(heapAddress(backend, t) / 4, heapAddress(backend, t) / 4 + sizeOf(t.shape)),
    output: (shape) => {
      const info = backend.makeOutput(shape, 'float32');
      const at = heapAddress(backend, info) / 4;
      return { info, data: heap().subarray(at, at + sizeOf(shape)) };
    },
  };
}

interface CpuBackendLike {
  data: { get(dataId: object): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): TensorInfo;
}

function cpuMemoryAccess(backend: CpuBackendLike): Memory {
  return {
    read: (t) => {
      const v = backend.data.get(t.dataId).values;
      if (!(v instanceof Float32Array)) throw new Error('cpu tensor without Float32Array values');
      return v.length === sizeOf(t.shape) ? v : v.subarray(0, sizeOf(t.shape));
    },
    output: (shape) => {
      const data = new Float32Array(sizeOf(shape));
      return { info: backend.makeTensorInfo(shape, 'float32', data), data };
    },
  };
}

/** Reusable plain (unshared) buffers for operands that live in a SharedArrayBuffer. */
const scratch: Float32Array[] = [];

function plain(x: Float32Array, slot: number): Float32Array {
  if (!(x.buffer instanceof SharedArrayBuffer)) return x;
  if (!scratch[slot] || scratch[slot].length < x.length) scratch[slot] = new Float32Array(Math.max(x.length, (scratch[slot]?.length ?? 0) * 1.5) | 0);
  const s = scratch[slot].subarray(0, x.length);
  s.set(x);
  return s;
}

function plainOut(out: Float32Array): Float32Array {
  if (!(out.buffer instanceof SharedArrayBuffer)) return out;
  const slot = 3;
  if (!scratch[slot] || scratch[slot].length < out.length) scratch[slot] = new Float32Array(Math.max(out.length, (scratch[slot]?.length ?? 0) * 1.5) | 0);
  return scratch[slot].subarray(0, out.length);
}

export interface ProductArgs {
  a: TensorInfo;
  b: TensorInfo;
  transposeA: boolean;
  transposeB: boolean;
  bias?: TensorInfo;
}

/**
 * op(A) @ op(B) (+ bias) on onnxruntime's GEMM, or null when the product is left to the engine's
 * kernels (no provider, too small, or a shape this path does not take).
 */
export function ortProduct(backendName: 'wasm' | 'cpu', backend: unknown, args: ProductArgs): TensorInfo | null {
  const gemm = provider;
  if (!gemm) return null;
  const { a, b, transposeA, transposeB, bias } = args;
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || (bias && bias.dtype !== 'float32')) return null;
  const shape = productShape(a.shape, b.shape, transposeA, transposeB);
  if (!shape) return null;
  const { m, k, n, outBatch, batch, batchA, batchB } = shape;
  if (m === 0 || n === 0 || k === 0 || batch * m * k * n < minMacs[backendName]) return null;
  // Both operands batched with small items (attention: 32 items of 200 x 64 x 200 in hubert-tiny): on
  // wasm the engine's one-call SIMD kernel over all items, split with a worker thread
  // (wasm-simd-gemm.ts), beat one native call per item: 31-39 ms against 43-102 ms for
  // [32, 200, 64] x [32, 64, 200] in one process (shared machine, load 24-28).
  if (backendName === 'wasm' && batchA === batch && batchB === batch && batch > 1 && m * k * n <= WASM_SMALL_ITEM_MACS) return null;
  if (bias && (sizeOf(bias.shape) !== n || (bias.shape.length > 0 && bias.shape[bias.shape.length - 1] !== n) || bias.shape.length > outBatch.length + 2)) return null;
  const mem = backendName === 'wasm' ? wasmMemoryAccess(backend as BackendWasm) : cpuMemoryAccess(backend as CpuBackendLike);
  const out = mem.output([...outBatch, m, n]);
  // Read after allocating the output: allocation may grow the wasm memory and replace its buffer.
  const av = plain(mem.read(a), 0);
  const bv = plain(mem.read(b), 1);
  const cv = bias ? plain(mem.read(bias), 2) : undefined;
  const ov = plainOut(out.data);
  if (batchB === 1 && !transposeA && batchA === batch) {
    gemm.gemm({ a: av, b: bv, out: ov, m: batch * m, k, n, transA: false, transB: transposeB, bias: cv });
  } else {
    for (let i = 0; i < batch; i++) {
      const ai = batchA === 1 ? av : av.subarray(i * m * k, (i + 1) * m * k);
      const bi = batchB === 1 ? bv : bv.subarray(i * k * n, (i + 1) * k * n);
      gemm.gemm({ a: ai, b: bi, out: ov.subarray(i * m * n, (i + 1) * m * n), m, k, n, transA: transposeA, transB: transposeB, bias: cv });
    }
  }
  if (ov !== out.data) out.data.set(ov);
  served++;
  return out.info;
}
