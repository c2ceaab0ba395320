import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { replaceStockKernel } from './kernel-registry.ts';

/**
 * wasm Identity without a copy. The stock kernel copies its input into a new buffer; autodiff calls it
 * for every tensor a custom gradient saves for the backward pass (tfjs-core's engine clones what
 * `save` receives: LayerNorm's normalised input, GELU's input and CDF, the fused matmul's operands),
 * about 120 copies of [8, 200, 256]-sized tensors per hubert-tiny step. tfjs tensors are immutable
 * (a variable's assign swaps its buffer, no kernel writes into an input), so the output can share the
 * input's buffer with one more reference, as the cpu backend's Identity and every backend's Reshape do.
 */
function sharingIdentity(stock: KernelConfig): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype === 'string') return stock.kernelFunc(args);
    (args.backend as BackendWasm).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/** Replaces the wasm Identity kernel with the sharing one (idempotent). */
export function installWasmIdentity(): void {
  replaceStockKernel('Identity', 'wasm', sharingIdentity);
}
