import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * Kernels the wasm backend lacks, run by the cpu backend's implementation on copies of the data.
 * Used for ops that are rare in this project's models but must not make a model fail on wasm: the
 * gradient of `gather` (UnsortedSegmentSum), depthwise-convolution gradients, einsum. Each call copies
 * its inputs out of the wasm heap and its outputs back, so these stay correct rather than fast.
 */
export const BRIDGED_KERNELS = ['UnsortedSegmentSum', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'Einsum'] as const;

interface DataBackend extends KernelBackend {
  readSync(dataId: object): tf.backend_util.BackendValues;
  write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): object;
  disposeData(dataId: object, force?: boolean): boolean;
  makeOutput?(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: tf.backend_util.BackendValues): TensorInfo;
}

function cpuBackend(): DataBackend {
  const b = tf.findBackend('cpu');
  if (!b) throw new Error('the cpu backend could not be created for a bridged kernel');
  return b as DataBackend;
}

function bridge(name: string): KernelFunc {
  return (args) => {
    const target = args.backend as DataBackend;
    const cpuKernel = tf.getKernel(name, 'cpu');
    if (!cpuKernel) throw new Error(`no cpu kernel ${name} to bridge`);
    const cpu = cpuBackend();
    const moved: Record<string, TensorInfo> = {};
    const owned = new Set<object>();
    try {
      for (const [key, t] of Object.entries(args.inputs)) {
        if (!t) continue;
        const dataId = cpu.write(target.readSync(t.dataId), t.shape, t.dtype);
        owned.add(dataId);
        moved[key] = { dataId, shape: t.shape, dtype: t.dtype };
      }
      const result = cpuKernel.kernelFunc({ inputs: moved, attrs: args.attrs, backend: cpu });
      const outs = Array.isArray(result) ? result : [result];
      const back = outs.map((o) => {
        owned.add(o.dataId);
        const values = cpu.readSync(o.dataId);
        if (target.makeOutput) return target.makeOutput(o.shape, o.dtype, undefined, values);
        return { dataId: target.write(values, o.shape, o.dtype), shape: o.shape, dtype: o.dtype };
      });
      return Array.isArray(result) ? back : back[0];
    } finally {
      for (const id of owned) cpu.disposeData(id, true);
    }
  };
}

/** Registers cpu-bridged versions of the kernels `backendName` lacks among BRIDGED_KERNELS. */
export function installBridgedKernels(backendName: string): void {
  for (const name of BRIDGED_KERNELS) {
    if (tf.getKernel(name, backendName) || !tf.getKernel(name, 'cpu')) continue;
    const config: KernelConfig = { kernelName: name, backendName, kernelFunc: bridge(name) };
    tf.registerKernel(config);
  }
}
