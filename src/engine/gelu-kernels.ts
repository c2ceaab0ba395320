import '@tensorflow/tfjs-backend-cpu';
import type * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapAddress, wasmMemory, wasmModule } from './wasm-views.ts';
import { GELU_CONSTANTS, geluModuleBytes } from './wasm-gelu-code.ts';
import { perMemory } from './wasm-modules.ts';
import { backendHasKernels, registerMissingKernels } from './kernel-registry.ts';

/**
 * GELU as two kernels of its own, `SpeechSslGelu` (x -> gelu(x)) and `SpeechSslGeluGrad` (dy, x -> dy
 * gelu'(x)), on wasm (one SIMD pass each, wasm-gelu-code.ts) and cpu (the same formula in a JS loop).
 * nn/gelu.ts uses them where the running backend has them and the composite Erf/Exp form elsewhere
 * (tfjs-node, or a run with the fast paths off).
 */
export const GELU_KERNEL = 'SpeechSslGelu';
export const GELU_GRAD_KERNEL = 'SpeechSslGeluGrad';

interface GeluExports {
  gelu(x: number, y: number, groups: number): void;
  geluGrad(x: number, dy: number, dx: number, groups: number): void;
}

const geluExports = perMemory<GeluExports>(geluModuleBytes);

/** Phi(x) and gelu'(x) in float64, for the cpu kernels and the wasm kernels' tails. */
function cdfAndPdf(x: number): [number, number] {
  const k = GELU_CONSTANTS;
  const z = Math.abs(x) * k.invSqrt2;
  const t = 1 / (1 + k.p * z);
  const e = Math.exp(-z * z);
  const poly = ((((k.a[4] * t + k.a[3]) * t + k.a[2]) * t + k.a[1]) * t + k.a[0]) * t;
  const erf = 1 - poly * e;
  return [0.5 * (1 + (x < 0 ? -erf : erf)), e * k.invSqrt2Pi];
}

function geluTail(x: Float32Array, y: Float32Array, from: number, to: number, xBase: number, yBase: number): void {
  for (let i = from; i < to; i++) y[yBase + i] = x[xBase + i] * cdfAndPdf(x[xBase + i])[0];
}

function geluGradTail(x: Float32Array, dy: Float32Array, dx: Float32Array, from: number, to: number, bases: [number, number, number]): void {
  for (let i = from; i < to; i++) {
    const v = x[bases[0] + i];
    const [cdf, pdf] = cdfAndPdf(v);
    dx[bases[2] + i] = dy[bases[1] + i] * (cdf + v * pdf);
  }
}

function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

const wasmGelu: KernelFunc = ({ inputs, backend }) => {
  const b = backend as BackendWasm;
  const x = inputs.x as TensorInfo;
  const n = sizeOf(x.shape);
  const out = b.makeOutput(x.shape, 'float32');
  if (n === 0) return out;
  const groups = n >> 2;
  geluExports(wasmMemory(b)).gelu(heapAddress(b, x), heapAddress(b, out), groups);
  const heap = wasmModule(b).HEAPF32;
  geluTail(heap, heap, groups * 4, n, heapAddress(b, x) / 4, heapAddress(b, out) / 4);
  return out;
};

const wasmGeluGrad: KernelFunc = ({ inputs, backend }) => {
  const b = backend as BackendWasm;
  const { dy, x } = inputs as { dy: TensorInfo; x: TensorInfo };
  const n = sizeOf(x.shape);
  const out = b.makeOutput(x.shape, 'float32');
  if (n === 0) return out;
  const groups = n >> 2;
  geluExports(wasmMemory(b)).geluGrad(heapAddress(b, x), heapAddress(b, dy), heapAddress(b, out), groups);
  const heap = wasmModule(b).HEAPF32;
  geluGradTail(heap, heap, heap, groups * 4, n, [heapAddress(b, x) / 4, heapAddress(b, dy) / 4, heapAddress(b, out) / 4]);
  return out;
};

interface CpuBackendLike {
  data: { get(id: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): TensorInfo;
}

const cpuGelu: KernelFunc = ({ inputs, backend }) => {
  const b = backend as unknown as CpuBackendLike;
  const x = inputs.x as TensorInfo;
  const xv = b.data.get(x.dataId).values;
  const y = new Float32Array(xv.length);
  geluTail(xv, y, 0, xv.length, 0, 0);
  return b.makeTensorInfo(x.shape, 'float32', y);
};

const cpuGeluGrad: KernelFunc = ({ inputs, backend }) => {
  const b = backend as unknown as CpuBackendLike;
  const { dy, x } = inputs as { dy: TensorInfo; x: TensorInfo };
  const xv = b.data.get(x.dataId).values;
  const dyv = b.data.get(dy.dataId).values;
  const dx = new Float32Array(xv.length);
  geluGradTail(xv, dyv, dx, 0, xv.length, [0, 0, 0]);
  return b.makeTensorInfo(x.shape, 'float32', dx);
};

/** Registers the GELU kernels for wasm and cpu (idempotent). */
export function installGeluKernels(): void {
  registerMissingKernels([
    { kernelName: GELU_KERNEL, backendName: 'wasm', kernelFunc: wasmGelu },
    { kernelName: GELU_GRAD_KERNEL, backendName: 'wasm', kernelFunc: wasmGeluGrad },
    { kernelName: GELU_KERNEL, backendName: 'cpu', kernelFunc: cpuGelu },
    { kernelName: GELU_GRAD_KERNEL, backendName: 'cpu', kernelFunc: cpuGeluGrad },
  ]);
}

/** Whether the backend running now has the GELU kernels. */
export function hasGeluKernels(): boolean {
  return backendHasKernels(GELU_KERNEL, GELU_GRAD_KERNEL);
}
