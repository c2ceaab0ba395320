import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { disposeTemp, heapAddress, wasmModule } from './wasm-views.ts';
import { denseProvider } from './ort-matmul.ts';
import { filterGradient, geometryOf } from './conv-im2col.ts';

/**
 * Conv2DBackpropFilter for the wasm backend, which ships without one (so no convolution could train on
 * wasm). The filter gradient of a convolution is itself a convolution, run here on XNNPACK's Conv2D:
 *
 *   dW[kh, kw, ci, co] = sum_{b, oh, ow} xpad[b, oh*sh + kh, ow*sw + kw, ci] * dy[b, oh, ow, co]
 *
 * Read x as a batch of Cin single images with B channels, x'[ci, h, w, b], and dy as a filter of size
 * OH x OW from B channels to Cout, dy'[oh, ow, b, co]. Then dW (as [ci, kh, kw, co]) is x' convolved with
 * dy' at stride 1 and dilation (sh, sw) — the original stride becomes the dilation. The original padding
 * becomes explicit padding; rows and columns the original never read are cropped.
 * (tfjs asks for dilation 1 in convolution gradients, so the original dilation is always 1 here.)
 *
 * When onnxruntime's GEMM serves the engine's products (ort-matmul.ts), the gradient is instead one GEMM
 * over the input's patches (conv-im2col.ts): cols^T @ dy. On the CIFAR ResNet's maps that is several
 * times faster than the XNNPACK convolution above, which packs dy as a new filter at every call.
 */

function runKernel(name: string, backend: BackendWasm, inputs: Record<string, TensorInfo>, attrs: Record<string, unknown>): TensorInfo {
  const k = tf.getKernel(name, 'wasm');
  if (!k) throw new Error(`wasm backend has no ${name} kernel`);
  return k.kernelFunc({ inputs, backend, attrs: attrs as tf.NamedAttrMap }) as TensorInfo;
}

const conv2dBackpropFilter: KernelFunc = (args) => {
  const backend = args.backend as BackendWasm;
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = args.attrs as unknown as {
    strides: number | [number, number];
    pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
    dataFormat: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
  };
  if (dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter on wasm supports NHWC only');
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const gemm = denseProvider();
  if (gemm) {
    const out = backend.makeOutput(filterShape, 'float32');
    const heap = wasmModule(backend).HEAPF32; // read after allocating: the heap may have grown
    const at = (t: TensorInfo) => heapAddress(backend, t) / 4;
    const g = geometryOf(info);
    const dyLength = g.batch * g.outHeight * g.outWidth * g.outChannels;
    filterGradient((o) => gemm.gemm(o), heap, at(x), heap.subarray(at(dy), at(dy) + dyLength), g, heap.subarray(at(out), at(out) + filterShape.reduce((p, q) => p * q, 1)));
    return out;
  }
  const [kh, kw] = [info.filterHeight, info.filterWidth];
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const [oh, ow] = [info.outHeight, info.outWidth];
  const [h, w] = [info.inHeight, info.inWidth];
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  // Padded extent the gradient convolution must see: exactly kh + (oh-1)*sh rows from -top.
  const bottom = kh + (oh - 1) * sh - h - top;
  const right = kw + (ow - 1) * sw - w - left;

  const temps: TensorInfo[] = [];
  try {
    let xs = x;
    if (bottom < 0 || right < 0) {
      // Trailing rows/columns the forward convolution never read.
      xs = runKernel('Slice', backend, { x }, { begin: [0, 0, 0, 0], size: [-1, h + Math.min(0, bottom), w + Math.min(0, right), -1] });
      temps.push(xs);
    }
    const xT = runKernel('Transpose', backend, { x: xs }, { perm: [3, 1, 2, 0] });
    temps.push(xT);
    const dyT = runKernel('Transpose', backend, { x: dy }, { perm: [1, 2, 0, 3] });
    temps.push(dyT);
    const explicit: tf.backend_util.ExplicitPadding = [
      [0, 0],
      [top, Math.max(0, bottom)],
      [left, Math.max(0, right)],
      [0, 0],
    ];
    const g = runKernel('Conv2D', backend, { x: xT, filter: dyT }, { strides: [1, 1], pad: explicit, dataFormat: 'NHWC', dilations: [sh, sw], dimRoundingMode: undefined });
    temps.push(g);
    if (g.shape[1] !== kh || g.shape[2] !== kw) throw new Error(`Conv2DBackpropFilter: internal shape [${g.shape}] for filter [${filterShape}]`);
    return runKernel('Transpose', backend, { x: g }, { perm: [1, 2, 0, 3] });
  } finally {
    for (const t of temps) disposeTemp(backend, t);
  }
};

/** Registers the wasm Conv2DBackpropFilter kernel unless one exists. */
export function installWasmConvFilterGrad(): void {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  const config: KernelConfig = { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2dBackpropFilter };
  tf.registerKernel(config);
}
