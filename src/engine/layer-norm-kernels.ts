import '@tensorflow/tfjs-backend-cpu';
import type * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapAddress, wasmMemory, wasmModule } from './wasm-views.ts';
import { layerNormModuleBytes } from './wasm-layer-norm-code.ts';
import { perMemory } from './wasm-modules.ts';
import { backendHasKernels, registerMissingKernels } from './kernel-registry.ts';

/**
 * Layer normalisation over the last axis as two kernels of its own:
 *   SpeechSslLayerNorm      {x, weight, bias}, {eps}  ->  [y, mean, rstd]   (mean, rstd: one per row)
 *   SpeechSslLayerNormGrad  {dy, x, mean, rstd, weight} ->  [dx, dweight, dbias]
 * on wasm (SIMD passes per row, wasm-layer-norm-code.ts, when the last axis is a multiple of 4) and on
 * cpu and other widths (a JS loop with float64 sums). nn/layer-norm.ts uses them where the backend has
 * them, else its composite form.
 */
export const LAYER_NORM_KERNEL = 'SpeechSslLayerNorm';
export const LAYER_NORM_GRAD_KERNEL = 'SpeechSslLayerNormGrad';

interface LayerNormExports {
  lnForward(x: number, w: number, b: number, y: number, mean: number, rstd: number, rows: number, groups: number, eps: number): void;
  lnBackward(dy: number, x: number, mean: number, rstd: number, w: number, dx: number, dw: number, db: number, rows: number, groups: number): void;
}

const layerNormExports = perMemory<LayerNormExports>(layerNormModuleBytes);

/** Views of the inputs and outputs: arrays plus the element offset where each tensor starts. */
type Buf = [Float32Array, number];

function forwardJs(x: Buf, w: Buf, b: Buf, y: Buf, mean: Buf, rstd: Buf, rows: number, dim: number, eps: number): void {
  for (let r = 0; r < rows; r++) {
    const o = x[1] + r * dim;
    let s = 0;
    for (let i = 0; i < dim; i++) s += x[0][o + i];
    const m = Math.fround(s / dim);
    let q = 0;
    for (let i = 0; i < dim; i++) {
      const d = Math.fround(x[0][o + i] - m);
      q += d * d;
    }
    const rs = Math.fround(1 / Math.sqrt(Math.fround(q / dim) + eps));
    const oy = y[1] + r * dim;
    for (let i = 0; i < dim; i++) y[0][oy + i] = Math.fround(Math.fround(x[0][o + i] - m) * rs) * w[0][w[1] + i] + b[0][b[1] + i];
    mean[0][mean[1] + r] = m;
    rstd[0][rstd[1] + r] = rs;
  }
}

function backwardJs(dy: Buf, x: Buf, mean: Buf, rstd: Buf, w: Buf, dx: Buf, dw: Buf, db: Buf, rows: number, dim: number): void {
  const dwAcc = new Float64Array(dim);
  const dbAcc = new Float64Array(dim);
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    const m = mean[0][mean[1] + r];
    const rs = rstd[0][rstd[1] + r];
    let a = 0;
    let c = 0;
    for (let i = 0; i < dim; i++) {
      const xh = Math.fround(x[0][x[1] + o + i] - m) * rs;
      const g = dy[0][dy[1] + o + i] * w[0][w[1] + i];
      a += g;
      c += g * xh;
    }
    a /= dim;
    c /= dim;
    for (let i = 0; i < dim; i++) {
      const d = dy[0][dy[1] + o + i];
      const xh = Math.fround(x[0][x[1] + o + i] - m) * rs;
      dx[0][dx[1] + o + i] = (d * w[0][w[1] + i] - a - xh * c) * rs;
      dwAcc[i] += d * xh;
      dbAcc[i] += d;
    }
  }
  for (let i = 0; i < dim; i++) {
    dw[0][dw[1] + i] = dwAcc[i];
    db[0][db[1] + i] = dbAcc[i];
  }
}

function rowsAndDim(x: TensorInfo): [number, number] {
  const dim = x.shape[x.shape.length - 1];
  const size = x.shape.reduce((p, q) => p * q, 1);
  return [dim === 0 ? 0 : size / dim, dim];
}

const wasmForward: KernelFunc = ({ inputs, backend, attrs }) => {
  const be = backend as BackendWasm;
  const { x, weight, bias } = inputs as { x: TensorInfo; weight: TensorInfo; bias: TensorInfo };
  const eps = (attrs as unknown as { eps: number }).eps;
  const [rows, dim] = rowsAndDim(x);
  const y = be.makeOutput(x.shape, 'float32');
  const mean = be.makeOutput([rows], 'float32');
  const rstd = be.makeOutput([rows], 'float32');
  if (rows === 0 || dim === 0) return [y, mean, rstd];
  const addr = (t: TensorInfo) => heapAddress(be, t);
  if (dim % 4 === 0) {
    layerNormExports(wasmMemory(be)).lnForward(addr(x), addr(weight), addr(bias), addr(y), addr(mean), addr(rstd), rows, dim / 4, eps);
  } else {
    const heap = wasmModule(be).HEAPF32;
    const v = (t: TensorInfo): Buf => [heap, addr(t) / 4];
    forwardJs(v(x), v(weight), v(bias), v(y), v(mean), v(rstd), rows, dim, eps);
  }
  return [y, mean, rstd];
};

const wasmBackward: KernelFunc = ({ inputs, backend }) => {
  const be = backend as BackendWasm;
  const { dy, x, mean, rstd, weight } = inputs as Record<'dy' | 'x' | 'mean' | 'rstd' | 'weight', TensorInfo>;
  const [rows, dim] = rowsAndDim(x);
  const dx = be.makeOutput(x.shape, 'float32');
  const dw = be.makeOutput([dim], 'float32');
  const db = be.makeOutput([dim], 'float32');
  const addr = (t: TensorInfo) => heapAddress(be, t);
  const heap = wasmModule(be).HEAPF32;
  heap.fill(0, addr(dw) / 4, addr(dw) / 4 + dim);
  heap.fill(0, addr(db) / 4, addr(db) / 4 + dim);
  if (rows === 0 || dim === 0) return [dx, dw, db];
  if (dim % 4 === 0) {
    layerNormExports(wasmMemory(be)).lnBackward(addr(dy), addr(x), addr(mean), addr(rstd), addr(weight), addr(dx), addr(dw), addr(db), rows, dim / 4);
  } else {
    const v = (t: TensorInfo): Buf => [heap, addr(t) / 4];
    backwardJs(v(dy), v(x), v(mean), v(rstd), v(weight), v(dx), v(dw), v(db), rows, dim);
  }
  return [dx, dw, db];
};

interface CpuBackendLike {
  data: { get(id: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): TensorInfo;
}

const cpuForward: KernelFunc = ({ inputs, backend, attrs }) => {
  const be = backend as unknown as CpuBackendLike;
  const { x, weight, bias } = inputs as { x: TensorInfo; weight: TensorInfo; bias: TensorInfo };
  const [rows, dim] = rowsAndDim(x);
  const values = (t: TensorInfo): Buf => [be.data.get(t.dataId).values, 0];
  const y = new Float32Array(rows * dim);
  const mean = new Float32Array(rows);
  const rstd = new Float32Array(rows);
  forwardJs(values(x), values(weight), values(bias), [y, 0], [mean, 0], [rstd, 0], rows, dim, (attrs as unknown as { eps: number }).eps);
  return [be.makeTensorInfo(x.shape, 'float32', y), be.makeTensorInfo([rows], 'float32', mean), be.makeTensorInfo([rows], 'float32', rstd)];
};

const cpuBackward: KernelFunc = ({ inputs, backend }) => {
  const be = backend as unknown as CpuBackendLike;
  const { dy, x, mean, rstd, weight } = inputs as Record<'dy' | 'x' | 'mean' | 'rstd' | 'weight', TensorInfo>;
  const [rows, dim] = rowsAndDim(x);
  const values = (t: TensorInfo): Buf => [be.data.get(t.dataId).values, 0];
  const dx = new Float32Array(rows * dim);
  const dw = new Float32Array(dim);
  const db = new Float32Array(dim);
  backwardJs(values(dy), values(x), values(mean), values(rstd), values(weight), [dx, 0], [dw, 0], [db, 0], rows, dim);
  return [be.makeTensorInfo(x.shape, 'float32', dx), be.makeTensorInfo([dim], 'float32', dw), be.makeTensorInfo([dim], 'float32', db)];
};

/** Registers the layer-norm kernels for wasm and cpu (idempotent). */
export function installLayerNormKernels(): void {
  registerMissingKernels([
    { kernelName: LAYER_NORM_KERNEL, backendName: 'wasm', kernelFunc: wasmForward },
    { kernelName: LAYER_NORM_GRAD_KERNEL, backendName: 'wasm', kernelFunc: wasmBackward },
    { kernelName: LAYER_NORM_KERNEL, backendName: 'cpu', kernelFunc: cpuForward },
    { kernelName: LAYER_NORM_GRAD_KERNEL, backendName: 'cpu', kernelFunc: cpuBackward },
  ]);
}

/** Whether the backend running now has the layer-norm kernels. */
export function hasLayerNormKernels(): boolean {
  return backendHasKernels(LAYER_NORM_KERNEL, LAYER_NORM_GRAD_KERNEL);
}
