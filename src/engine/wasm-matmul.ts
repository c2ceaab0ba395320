import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { makeView, releaseView, disposeTemp, wasmId, wasmModule, heapAddress, wasmMemory } from './wasm-views.ts';
import { threadedBatchedGemm } from './wasm-gemm-threads.ts';
import { replaceStockKernel } from './kernel-registry.ts';
import { ortProduct } from './ort-matmul.ts';
import { applyActivation } from './fused-activation.ts';

/**
 * Matrix products on the wasm backend, kept on XNNPACK's fast path when onnxruntime's GEMM does not take
 * them (ort-matmul.ts).
 *
 * The stock wasm kernel hands a product to XNNPACK only when it is a single 2-D product with neither
 * operand transposed; everything else (every backward pass: dA = dY B^T, dB = A^T dY; every attention
 * score: Q K^T per head) falls to a naive triple loop about 10x slower. This kernel:
 *  - materialises a transposed operand with the Transpose kernel (a copy, ~1% of the product's cost);
 *  - folds the batch of A into rows when B has no batch (x[B,T,D] @ W[D,E] is one [B*T, D] product);
 *  - runs a batched product with small items (attention: one [T, T] x [T, d] product per head) in one
 *    call of the SIMD kernel of wasm-simd-gemm.ts, and one with large items as one XNNPACK product
 *    per item on zero-copy views (XNNPACK's per-call setup and thread wake-up, ~0.2-1 ms, would
 *    dominate small items: 32 of them per attention product in hubert-tiny).
 * Results are the same products computed by XNNPACK's kernel instead of the loop, so they match the
 * stock kernel to float32 rounding (tested).
 */

type MatMulCFunc = (aId: number, aShape: Uint8Array, aRank: number, bId: number, bShape: Uint8Array, bRank: number, ta: number, tb: number, outId: number) => void;

let cBatchMatMul: MatMulCFunc | null = null;

/**
 * Batch items up to this many multiply-adds (M*K*N) go to the one-call SIMD kernel: there XNNPACK's
 * per-item overhead is comparable to the arithmetic. Attention items in hubert-tiny are 200*200*64.
 */
const SMALL_ITEM_MACS = 1 << 23;

function shapeBytes(shape: number[]): Uint8Array {
  return new Uint8Array(new Int32Array(shape).buffer);
}

function transposeLastTwo(backend: BackendWasm, x: TensorInfo): TensorInfo {
  const rank = x.shape.length;
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!transpose) throw new Error('wasm backend has no Transpose kernel');
  return transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as TensorInfo;
}

function sizeOf(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** One 2-D product out = a @ b on XNNPACK, all three given as views or tensors of the right size. */
function product2d(backend: BackendWasm, a: TensorInfo, b: TensorInfo, out: TensorInfo, m: number, k: number, n: number): void {
  if (!cBatchMatMul) throw new Error('wasm matmul fast path used before its setup');
  cBatchMatMul(wasmId(backend, a), shapeBytes([1, m, k]), 3, wasmId(backend, b), shapeBytes([1, k, n]), 3, 0, 0, wasmId(backend, out));
}

/**
 * Computes A @ B for untransposed operands A [...batchA, M, K], B [...batchB, K, N], or returns null
 * when the batch shapes need general broadcasting (left to the stock kernel).
 */
function fastProduct(backend: BackendWasm, a: TensorInfo, b: TensorInfo): TensorInfo | null {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = a.shape[ra - 2];
  const k = a.shape[ra - 1];
  const n = b.shape[rb - 1];
  if (b.shape[rb - 2] !== k) throw new Error(`matMul: inner dimensions ${k} and ${b.shape[rb - 2]} of shapes [${a.shape}] and [${b.shape}] differ`);
  const batchDimsA = a.shape.slice(0, -2);
  const batchDimsB = b.shape.slice(0, -2);
  const batchA = sizeOf(batchDimsA);
  const batchB = sizeOf(batchDimsB);
  let outBatchDims: number[];
  try {
    outBatchDims = tf.backend_util.assertAndGetBroadcastShape(batchDimsA, batchDimsB);
  } catch {
    return null;
  }
  const batch = sizeOf(outBatchDims);
  if (!(batchB === 1 || batchA === batchB || batchA === 1)) return null;
  const out = backend.makeOutput([...outBatchDims, m, n], 'float32');
  if (m === 0 || n === 0 || batch === 0) return out;
  if (k === 0) {
    wasmModule(backend).HEAPF32.fill(0, backend.dataIdMap.get(out.dataId).memoryOffset / 4, backend.dataIdMap.get(out.dataId).memoryOffset / 4 + batch * m * n);
    return out;
  }
  if (batchB === 1) {
    // Every batch item of A meets the same B: one product with the batch folded into rows.
    const a2 = makeView(backend, a, 0, [batchA * m, k]);
    const b2 = makeView(backend, b, 0, [k, n]);
    const o2 = makeView(backend, out, 0, [batchA * m, n]);
    try {
      if (batchA === batch) product2d(backend, a2, b2, o2, batchA * m, k, n);
      else {
        // A has no batch either but the output does (broadcast of size-1 dims): compute once, copy.
        product2d(backend, a2, b2, o2, m, k, n);
        const heap = wasmModule(backend).HEAPF32;
        const base = backend.dataIdMap.get(out.dataId).memoryOffset / 4;
        for (let i = 1; i < batch; i++) heap.copyWithin(base + i * m * n, base, base + m * n);
      }
    } finally {
      releaseView(backend, a2);
      releaseView(backend, b2);
      releaseView(backend, o2);
    }
    return out;
  }
  if (m * k * n <= SMALL_ITEM_MACS) {
    const gemm = threadedBatchedGemm(wasmMemory(backend));
    gemm(heapAddress(backend, a), heapAddress(backend, b), heapAddress(backend, out), m, k, n, batch, batchA === 1 ? 0 : 4 * m * k, 4 * k * n, 4 * m * n);
    return out;
  }
  for (let i = 0; i < batch; i++) {
    const ai = makeView(backend, a, batchA === 1 ? 0 : i * m * k, [m, k]);
    const bi = makeView(backend, b, i * k * n, [k, n]);
    const oi = makeView(backend, out, i * m * n, [m, n]);
    try {
      product2d(backend, ai, bi, oi, m, k, n);
    } finally {
      releaseView(backend, ai);
      releaseView(backend, bi);
      releaseView(backend, oi);
    }
  }
  return out;
}

/**
 * A^T B (A [K, M], B [K, N], no batch) is computed as (B^T A)^T when B is the wider operand. XNNPACK
 * packs its second operand (the "weights") on every call with a new tensor, and packing costs more per
 * element than a transpose; as (B^T A)^T the packed operand is A (K x M) instead of B (K x N), for a
 * transpose of B and of the [N, M] result. Every weight gradient of a layer that widens (x [T, 256] ->
 * [T, 1024] in a feed-forward block) is such a product: measured 27% faster on [1600, 256]^T [1600, 1024].
 */
let swapWideTn = true;

/** Turns the (B^T A)^T orientation off or on (the benchmark and tests compare both). */
export function setSwapWideTn(on: boolean): void {
  swapWideTn = on;
}

function wideTnProduct(backend: BackendWasm, a: TensorInfo, b: TensorInfo): TensorInfo | null {
  const bt = transposeLastTwo(backend, b);
  try {
    const outT = fastProduct(backend, bt, a);
    if (!outT) return null;
    try {
      return transposeLastTwo(backend, outT);
    } finally {
      disposeTemp(backend, outT);
    }
  } finally {
    disposeTemp(backend, bt);
  }
}

function matMulKernel(stock: KernelConfig): KernelFunc {
  return (args) => {
    const backend = args.backend as BackendWasm;
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return stock.kernelFunc(args);
    const native = ortProduct('wasm', backend, { a, b, transposeA, transposeB });
    if (native) return native;
    const ra = a.shape.length;
    const rb = b.shape.length;
    if (swapWideTn && transposeA && !transposeB && ra === rb && sizeOf(a.shape.slice(0, -2)) === 1 && sizeOf(b.shape.slice(0, -2)) === 1 && b.shape[rb - 1] > 1.5 * a.shape[ra - 1]) {
      const out = wideTnProduct(backend, a, b);
      if (out) return out;
    }
    const at = transposeA ? transposeLastTwo(backend, a) : a;
    const bt = transposeB ? transposeLastTwo(backend, b) : b;
    try {
      const out = fastProduct(backend, at, bt);
      if (out) return out;
      return stock.kernelFunc({ ...args, inputs: { a: at, b: bt }, attrs: { ...args.attrs, transposeA: false, transposeB: false } as NamedAttrMap });
    } finally {
      if (at !== a) disposeTemp(backend, at);
      if (bt !== b) disposeTemp(backend, bt);
    }
  };
}

/**
 * The fused product (bias and activation in the same kernel): transposed operands are materialised and
 * a batch of A is folded into rows when B has none; the stock kernel then runs its fast path.
 */
function fusedMatMulKernel(stock: KernelConfig): KernelFunc {
  return (args) => {
    const backend = args.backend as BackendWasm;
    const inputs = args.inputs as { a: TensorInfo; b: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
    const attrs = args.attrs as { transposeA: boolean; transposeB: boolean; activation?: string; leakyreluAlpha?: number };
    const { a, b } = inputs;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return stock.kernelFunc(args);
    const native = ortProduct('wasm', backend, { a, b, transposeA: attrs.transposeA, transposeB: attrs.transposeB, bias: inputs.bias });
    if (native) return applyActivation('wasm', backend, native, { ...attrs, preluActivationWeights: inputs.preluActivationWeights });
    const at = attrs.transposeA ? transposeLastTwo(backend, a) : a;
    const bt = attrs.transposeB ? transposeLastTwo(backend, b) : b;
    const views: TensorInfo[] = [];
    try {
      const ra = at.shape.length;
      const rb = bt.shape.length;
      const batchA = sizeOf(at.shape.slice(0, -2));
      const batchB = sizeOf(bt.shape.slice(0, -2));
      const m = at.shape[ra - 2];
      const k = at.shape[ra - 1];
      const n = bt.shape[rb - 1];
      let a3 = at;
      let b3 = bt;
      let outShape: number[] | null = null;
      if (batchB === 1 && rb <= ra && (batchA > 1 || ra !== 3 || rb !== 3)) {
        a3 = makeView(backend, at, 0, [1, batchA * m, k]);
        b3 = makeView(backend, bt, 0, [1, k, n]);
        views.push(a3, b3);
        outShape = [...at.shape.slice(0, -2), m, n];
      }
      const out = stock.kernelFunc({ ...args, inputs: { ...inputs, a: a3, b: b3 }, attrs: { ...args.attrs, transposeA: false, transposeB: false } as NamedAttrMap }) as TensorInfo;
      if (outShape) {
        out.shape = outShape;
        backend.dataIdMap.get(out.dataId).shape = outShape;
      }
      return out;
    } finally {
      for (const v of views) releaseView(backend, v);
      if (at !== a) disposeTemp(backend, at);
      if (bt !== b) disposeTemp(backend, bt);
    }
  };
}

/** Replaces the wasm BatchMatMul and _FusedMatMul kernels with the fast-path versions (idempotent). */
export function installWasmMatMul(): void {
  replaceStockKernel('BatchMatMul', 'wasm', matMulKernel, (backend) => {
    cBatchMatMul = wasmModule(backend as BackendWasm).cwrap('BatchMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']) as unknown as MatMulCFunc;
  });
  replaceStockKernel('_FusedMatMul', 'wasm', fusedMatMulKernel);
}
