import '@tensorflow/tfjs-backend-cpu';
import type * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapAddress, wasmMemory, wasmModule } from './wasm-views.ts';
import { adamwModuleBytes } from './wasm-adamw-code.ts';
import { perMemory } from './wasm-modules.ts';
import { backendHasKernels, registerMissingKernels } from './kernel-registry.ts';

/**
 * One AdamW update of one parameter as a kernel of its own, `SpeechSslAdamW`:
 *   {param, grad, expAvg, expAvgSq}, {beta1, oneMinusBeta1, beta2, oneMinusBeta2, decay, epsHat, stepSize}
 *   -> [param', expAvg', expAvgSq']
 * on wasm (one SIMD pass, wasm-adamw-code.ts) and cpu (a JS loop rounding every operation to float32).
 * Both compute train/adamw.ts's composite float32 operations in the same order, so the values are the
 * same floats; train/adamw.ts uses the kernel where the backend has it.
 */
export const ADAMW_KERNEL = 'SpeechSslAdamW';

export interface AdamWKernelAttrs {
  beta1: number;
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  /** 1 - lr * weightDecay, or 1 for a parameter without decay. */
  decay: number;
  epsHat: number;
  stepSize: number;
}

type AdamWExport = (p: number, g: number, m: number, v: number, pOut: number, mOut: number, vOut: number, groups: number, ...scalars: number[]) => void;

const adamwModule = perMemory<{ adamw: AdamWExport }>(adamwModuleBytes);

const f32 = Math.fround;

/** The update on elements [from, to) of arrays with their own offsets: every operation rounded to float32. */
function updateJs(arrays: Float32Array[], offsets: number[], from: number, to: number, a: AdamWKernelAttrs): void {
  const [p, g, m, v, po, mo, vo] = arrays;
  const [op, og, om, ov, opo, omo, ovo] = offsets;
  const [b1, c1, b2, c2, decay, epsHat, stepSize] = [a.beta1, a.oneMinusBeta1, a.beta2, a.oneMinusBeta2, a.decay, a.epsHat, a.stepSize].map(f32);
  for (let i = from; i < to; i++) {
    const gi = g[og + i];
    const mi = f32(f32(m[om + i] * b1) + f32(gi * c1));
    const vi = f32(f32(v[ov + i] * b2) + f32(f32(gi * gi) * c2));
    const upd = f32(f32(mi / f32(f32(Math.sqrt(vi)) + epsHat)) * stepSize);
    po[opo + i] = f32(f32(p[op + i] * decay) - upd);
    mo[omo + i] = mi;
    vo[ovo + i] = vi;
  }
}

const wasmAdamW: KernelFunc = ({ inputs, backend, attrs }) => {
  const be = backend as BackendWasm;
  const { param, grad, expAvg, expAvgSq } = inputs as Record<'param' | 'grad' | 'expAvg' | 'expAvgSq', TensorInfo>;
  const a = attrs as unknown as AdamWKernelAttrs;
  const n = param.shape.reduce((x, y) => x * y, 1);
  const outs = [be.makeOutput(param.shape, 'float32'), be.makeOutput(param.shape, 'float32'), be.makeOutput(param.shape, 'float32')];
  const addrs = [param, grad, expAvg, expAvgSq, ...outs].map((t) => heapAddress(be, t));
  const groups = n >> 2;
  if (groups > 0) adamwModule(wasmMemory(be)).adamw(addrs[0], addrs[1], addrs[2], addrs[3], addrs[4], addrs[5], addrs[6], groups, a.beta1, a.oneMinusBeta1, a.beta2, a.oneMinusBeta2, a.decay, a.epsHat, a.stepSize);
  if (groups * 4 < n) {
    const heap = wasmModule(be).HEAPF32;
    updateJs(new Array(7).fill(heap), addrs.map((x) => x / 4), groups * 4, n, a);
  }
  return outs;
};

interface CpuBackendLike {
  data: { get(id: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): TensorInfo;
}

const cpuAdamW: KernelFunc = ({ inputs, backend, attrs }) => {
  const be = backend as unknown as CpuBackendLike;
  const { param, grad, expAvg, expAvgSq } = inputs as Record<'param' | 'grad' | 'expAvg' | 'expAvgSq', TensorInfo>;
  const n = param.shape.reduce((x, y) => x * y, 1);
  const outs = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  const ins = [param, grad, expAvg, expAvgSq].map((t) => be.data.get(t.dataId).values);
  updateJs([...ins, ...outs], new Array(7).fill(0), 0, n, attrs as unknown as AdamWKernelAttrs);
  return outs.map((o) => be.makeTensorInfo(param.shape, 'float32', o));
};

/** Registers the AdamW kernel for wasm and cpu (idempotent). */
export function installAdamWKernel(): void {
  registerMissingKernels([
    { kernelName: ADAMW_KERNEL, backendName: 'wasm', kernelFunc: wasmAdamW },
    { kernelName: ADAMW_KERNEL, backendName: 'cpu', kernelFunc: cpuAdamW },
  ]);
}

let enabled = true;

/** Turns the use of the kernel off (or on again) in train/adamw.ts; tests compare the two paths. */
export function setAdamWKernelEnabled(on: boolean): void {
  enabled = on;
}

/** Whether train/adamw.ts should use the kernel: it is enabled and the backend running now has it. */
export function hasAdamWKernel(): boolean {
  return enabled && backendHasKernels(ADAMW_KERNEL);
}
