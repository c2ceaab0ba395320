import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { disposeTemp } from './wasm-views.ts';

/**
 * Conv2DBackpropInput for the wasm backend as a convolution on XNNPACK (the stock wasm kernel is a
 * plain loop, several times slower than the forward convolution it differentiates). With the forward
 * y[oh, ow, co] = sum_{kh, kw, ci} x[oh*sh + kh - top, ow*sw + kw - left, ci] * W[kh, kw, ci, co],
 *
 *   dx[i, j, ci] = sum_{kh, kw, co} D[i + top - kh, j + left - kw, co] * W[kh, kw, ci, co]
 *
 * where D is dy with (stride - 1) zeros inserted between its rows and columns (D[oh*sh, ow*sw] = dy[oh, ow]).
 * That is a stride-1 correlation of D, padded by (KH - 1 - top) rows before, with the filter turned by
 * 180 degrees and its channel axes swapped ([KH, KW, Cout, Cin]). Padding that would be negative becomes
 * a slice; the output is exactly the input's H x W.
 */

function runKernel(name: string, backend: BackendWasm, inputs: Record<string, TensorInfo>, attrs: Record<string, unknown>): TensorInfo {
  const k = tf.getKernel(name, 'wasm');
  if (!k) throw new Error(`wasm backend has no ${name} kernel`);
  return k.kernelFunc({ inputs, backend, attrs: attrs as tf.NamedAttrMap }) as TensorInfo;
}

const conv2dBackpropInput: KernelFunc = (args) => {
  const backend = args.backend as BackendWasm;
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs as unknown as {
    strides: number | [number, number];
    pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
    dataFormat: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    inputShape: [number, number, number, number];
  };
  if (dataFormat === 'NCHW') throw new Error('Conv2DBackpropInput on wasm supports NHWC only');
  const filterShape = filter.shape as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(inputShape, filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const [b, h, w, cin] = inputShape;
  const [kh, kw, , cout] = filterShape;
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const [oh, ow] = [info.outHeight, info.outWidth];
  const temps: TensorInfo[] = [];
  const keep = (t: TensorInfo) => {
    temps.push(t);
    return t;
  };
  try {
    // D: dy with zeros between rows/columns, [B, oh*sh, ow*sw, Cout] (the trailing zeros are trimmed below).
    let d = dy;
    if (sh > 1 || sw > 1) {
      const r = keep(runKernel('Reshape', backend, { x: dy }, { shape: [b, oh, 1, ow, 1, cout] }));
      const p = keep(runKernel('PadV2', backend, { x: r }, { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 }));
      d = keep(runKernel('Reshape', backend, { x: p }, { shape: [b, oh * sh, ow * sw, cout] }));
    }
    const [dh, dw] = [d.shape[1], d.shape[2]];
    // Padding before and after so that the stride-1 correlation gives exactly h x w.
    const before = [kh - 1 - info.padInfo.top, kw - 1 - info.padInfo.left];
    const after = [h + kh - 1 - before[0] - dh, w + kw - 1 - before[1] - dw];
    if (before.some((v) => v < 0) || after.some((v) => v < 0)) {
      const begin = [0, Math.max(0, -before[0]), Math.max(0, -before[1]), 0];
      const size = [b, dh - begin[1] - Math.max(0, -after[0]), dw - begin[2] - Math.max(0, -after[1]), cout];
      d = keep(runKernel('Slice', backend, { x: d }, { begin, size }));
    }
    const rev = keep(runKernel('Reverse', backend, { x: filter }, { dims: [0, 1] }));
    const flipped = keep(runKernel('Transpose', backend, { x: rev }, { perm: [0, 1, 3, 2] }));
    const explicit: tf.backend_util.ExplicitPadding = [[0, 0], [Math.max(0, before[0]), Math.max(0, after[0])], [Math.max(0, before[1]), Math.max(0, after[1])], [0, 0]];
    const dx = runKernel('Conv2D', backend, { x: d, filter: flipped }, { strides: [1, 1], pad: explicit, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined });
    if (dx.shape[1] !== h || dx.shape[2] !== w || dx.shape[3] !== cin) {
      disposeTemp(backend, dx);
      throw new Error(`Conv2DBackpropInput: internal shape [${dx.shape}] for input [${inputShape}]`);
    }
    return dx;
  } finally {
    for (const t of temps) disposeTemp(backend, t);
  }
};

/** Replaces the wasm Conv2DBackpropInput kernel with the convolution above. */
export function installWasmConvInputGrad(): void {
  if (tf.getKernel('Conv2DBackpropInput', 'wasm')) tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  const config: KernelConfig = { kernelName: 'Conv2DBackpropInput', backendName: 'wasm', kernelFunc: conv2dBackpropInput };
  tf.registerKernel(config);
}
