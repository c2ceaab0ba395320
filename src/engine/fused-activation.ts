import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';

/**
 * The activation of a fused product (`_FusedMatMul`'s `activation` attribute) applied to a product a
 * kernel computed itself, with the backend's own activation kernels; the product is disposed.
 */

const ACTIVATION_KERNELS: Record<string, string> = { relu: 'Relu', relu6: 'Relu6', elu: 'Elu', sigmoid: 'Sigmoid', leakyrelu: 'LeakyRelu', prelu: 'Prelu' };

export interface FusedActivation {
  activation?: string;
  leakyreluAlpha?: number;
  preluActivationWeights?: TensorInfo;
}

/** Runs the kernel `name` of `backendName` on `inputs`. */
export function runKernel(name: string, backendName: string, backend: unknown, inputs: Record<string, TensorInfo>, attrs: Record<string, unknown> = {}): TensorInfo {
  const k = tf.getKernel(name, backendName);
  if (!k) throw new Error(`${backendName} backend has no ${name} kernel`);
  return k.kernelFunc({ inputs, backend: backend as tf.KernelBackend, attrs: attrs as tf.NamedAttrMap }) as TensorInfo;
}

/** `out` with the activation applied (`out` itself when there is none). */
export function applyActivation(backendName: string, backend: unknown, out: TensorInfo, f: FusedActivation): TensorInfo {
  const { activation } = f;
  if (!activation || activation === 'linear') return out;
  const kernel = ACTIVATION_KERNELS[activation];
  if (!kernel) throw new Error(`_FusedMatMul: unknown activation "${activation}"`);
  const inputs: Record<string, TensorInfo> = activation === 'prelu' ? { x: out, alpha: f.preluActivationWeights as TensorInfo } : { x: out };
  const activated = runKernel(kernel, backendName, backend, inputs, activation === 'leakyrelu' ? { alpha: f.leakyreluAlpha ?? 0.2 } : {});
  (backend as { disposeData(id: object): void }).disposeData(out.dataId);
  return activated;
}
