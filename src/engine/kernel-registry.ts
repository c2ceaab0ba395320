import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';

/**
 * The two ways the engine changes tfjs's kernel registry: replacing a backend's stock kernel with a
 * faster one built around it, and adding kernels a backend lacks (or that are the engine's own).
 */

type Replacement = KernelConfig & { fastPath?: boolean };

/**
 * Replaces `backendName`'s stock kernel `name` with `wrap(stock)` (the wrapper may fall back to the
 * stock kernel). Idempotent: a replacement is marked and a second call leaves it. The replacement's
 * setup runs the stock kernel's, then `setup`. Without a stock kernel nothing is registered.
 */
export function replaceStockKernel(name: string, backendName: string, wrap: (stock: KernelConfig) => KernelFunc, setup?: (backend: object) => void): void {
  const stock = tf.getKernel(name, backendName) as Replacement | undefined;
  if (!stock || stock.fastPath) return;
  const kernelFunc = wrap(stock);
  tf.unregisterKernel(name, backendName);
  const config: Replacement = {
    kernelName: name,
    backendName,
    kernelFunc,
    fastPath: true,
    setupFunc: (backend) => {
      stock.setupFunc?.(backend);
      setup?.(backend);
    },
  };
  tf.registerKernel(config);
}

/** Registers each kernel its backend does not have yet. */
export function registerMissingKernels(configs: KernelConfig[]): void {
  for (const k of configs) if (!tf.getKernel(k.kernelName, k.backendName)) tf.registerKernel(k);
}

/** Whether the backend running now has every kernel named. */
export function backendHasKernels(...names: string[]): boolean {
  const backend = tf.getBackend();
  return names.every((n) => !!tf.getKernel(n, backend));
}
