import { installWasmMatMul } from './wasm-matmul.ts';
import { installWasmConvFilterGrad } from './wasm-conv-filter-grad.ts';
import { installWasmConvInputGrad } from './wasm-conv-input-grad.ts';
import { installBridgedKernels } from './kernel-bridge.ts';
import { installCpuMatMul } from './cpu-matmul.ts';
import { installWasmIdentity } from './wasm-identity.ts';
import { installWasmSquare } from './wasm-square.ts';
import { installGeluKernels } from './gelu-kernels.ts';
import { installLayerNormKernels } from './layer-norm-kernels.ts';
import { installGroupNormKernels } from './group-norm-kernels.ts';
import { installAdamWKernel } from './adamw-kernel.ts';
import { installWasmLeadingSum } from './wasm-leading-sum.ts';

/**
 * The engine's kernel replacements and additions, installed once per process by `initBackend` so every
 * model and entry point gets them:
 *  - wasm BatchMatMul/_FusedMatMul: transposed and batched products kept on XNNPACK's fast path;
 *  - wasm Conv2DBackpropFilter (missing in tfjs-backend-wasm) as a convolution on XNNPACK;
 *  - wasm Conv2DBackpropInput (a plain loop in tfjs-backend-wasm) as a convolution on XNNPACK;
 *  - wasm Identity sharing its input's buffer (the stock kernel copies every tensor autodiff saves);
 *  - wasm Square as Multiply(x, x) (the stock kernel's loop is ~7x slower);
 *  - wasm Sum over leading axes (bias gradients) without the stock kernel's transpose;
 *  - wasm UnsortedSegmentSum, depthwise-conv gradients, Einsum (missing) bridged to the cpu kernels;
 *  - cpu BatchMatMul/_FusedMatMul: a register-tiled product, ~3x the stock kernel;
 *  - GELU and its gradient as kernels of their own on wasm (SIMD) and cpu (nn/gelu.ts uses them);
 *  - layer normalisation forward and backward likewise (nn/layer-norm.ts uses them);
 *  - group normalisation forward and backward as one kernel each (nn/group-norm.ts uses them);
 *  - one AdamW update per parameter as one kernel (train/adamw.ts uses it).
 * The BatchMatMul/_FusedMatMul kernels of both backends first offer a product to onnxruntime's GEMM
 * (ort-matmul.ts), which `initBackend` selects after these are installed.
 */
export const FAST_PATHS = ['wasm-matmul', 'wasm-conv2d-backprop-filter', 'wasm-conv2d-backprop-input', 'wasm-identity', 'wasm-square', 'wasm-leading-sum', 'wasm-bridged-kernels', 'cpu-matmul', 'gelu-kernels', 'layer-norm-kernels', 'group-norm-kernels', 'adamw-kernel'] as const;

let installed = false;

export function installFastPaths(): void {
  if (installed) return;
  installWasmMatMul();
  installWasmConvFilterGrad();
  installWasmConvInputGrad();
  installWasmIdentity();
  installWasmSquare();
  installWasmLeadingSum();
  installBridgedKernels('wasm');
  installCpuMatMul();
  installGeluKernels();
  installLayerNormKernels();
  installGroupNormKernels();
  installAdamWKernel();
  installed = true;
}
