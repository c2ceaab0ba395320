import type * as tf from '@tensorflow/tfjs-core';
import type { GemmOperands } from './ort-gemm.ts';

/**
 * The filter gradient of a convolution as one matrix product (im2col), for onnxruntime's native GEMM
 * (ort-gemm.ts).
 * Channels last, dilation 1. With the input's patches laid out as rows,
 *
 *   cols[(b, oh, ow), (kh, kw, ci)] = xpad[b, oh*sh + kh - top, ow*sw + kw - left, ci]   (0 outside x)
 *
 * a convolution is y[(b, oh, ow), co] = cols @ W, W the filter [KH, KW, Cin, Cout] read as
 * [KH*KW*Cin, Cout], so dW = cols^T @ dy: one GEMM (transA) with the long axis B*OH*OW as its inner
 * dimension. The wasm backend's own filter gradient (an XNNPACK convolution with dy as the filter,
 * wasm-conv-filter-grad.ts) packs that "filter" anew at every call; on the CIFAR ResNet's maps the copy
 * into rows and one native GEMM cost a fraction of it (scripts/bench/resnet-step.ts). The input gradient
 * stays on XNNPACK: as dy @ W^T followed by a scatter-add (col2im) it was slower here (the GEMM's output
 * is the whole patch matrix). The sums run inside one GEMM in a fixed order: the same bits for a given
 * thread count.
 */
export interface ConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
}

export type Gemm = (o: GemmOperands) => void;

/** The geometry of tfjs's conv info (channels last, dilation 1). */
export function geometryOf(info: tf.backend_util.Conv2DInfo): ConvGeometry {
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) throw new Error(`conv-im2col: dilation ${info.dilationHeight}x${info.dilationWidth} is not supported`);
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/** Rows of the patch matrix: batch * outHeight * outWidth; columns: filterHeight * filterWidth * inChannels. */
export function patchMatrixShape(g: ConvGeometry): [number, number] {
  return [g.batch * g.outHeight * g.outWidth, g.filterHeight * g.filterWidth * g.inChannels];
}

/** Fills `cols` (rows x cols of patchMatrixShape) from x [B, H, W, Cin] starting at `xOffset` in `xa`. */
export function im2col(xa: Float32Array, xOffset: number, g: ConvGeometry, cols: Float32Array): void {
  const { batch, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, filterHeight: KH, filterWidth: KW } = g;
  const width = KH * KW * C;
  let row = 0;
  for (let b = 0; b < batch; b++) {
    const xb = xOffset + b * H * W * C;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++, row += width) {
        let o = row;
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * g.strideHeight + kh - g.padTop;
          for (let kw = 0; kw < KW; kw++, o += C) {
            const iw = ow * g.strideWidth + kw - g.padLeft;
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) {
              cols.fill(0, o, o + C);
              continue;
            }
            const src = xb + (ih * W + iw) * C;
            for (let c = 0; c < C; c++) cols[o + c] = xa[src + c];
          }
        }
      }
    }
  }
}

let served = 0;
/** Convolution gradients computed here so far (tests check that the path is taken). */
export function convGradientsServed(): number {
  return served;
}

/** A reusable plain (not shared) buffer per slot: GEMM operands must be plain ArrayBuffers. */
const scratch: Float32Array[] = [];
export function scratchBuffer(slot: number, length: number): Float32Array {
  if (!scratch[slot] || scratch[slot].length < length) scratch[slot] = new Float32Array(length);
  return scratch[slot].subarray(0, length);
}

/** A plain copy of `x` when it lives in a SharedArrayBuffer (the threaded wasm heap), else `x`. */
function plainOperand(x: Float32Array, slot: number): Float32Array {
  if (!(x.buffer instanceof SharedArrayBuffer)) return x;
  const s = scratchBuffer(slot, x.length);
  s.set(x);
  return s;
}

/** dW [KH*KW*Cin, Cout] = cols^T @ dy into `dw` (x: the layer's input, dy: [B*OH*OW, Cout]). */
export function filterGradient(gemm: Gemm, x: Float32Array, xOffset: number, dy: Float32Array, g: ConvGeometry, dw: Float32Array): void {
  const [rows, width] = patchMatrixShape(g);
  const cols = scratchBuffer(0, rows * width);
  im2col(x, xOffset, g, cols);
  const out = dw.buffer instanceof SharedArrayBuffer ? scratchBuffer(2, width * g.outChannels) : dw;
  gemm({ a: cols, b: plainOperand(dy, 1), out, m: width, k: rows, n: g.outChannels, transA: true, transB: false });
  if (out !== dw) dw.set(out);
  served++;
}
