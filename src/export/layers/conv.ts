import { Conv1d } from '../../nn/conv1d.ts';
import { Conv2d } from '../../nn/conv2d.ts';
import { ConvPositionalEmbedding } from '../../nn/pos-conv.ts';
import { gelu } from '../composite.ts';
import { ExportError, type ExportContext, type Seq } from '../export-context.ts';
import type { GraphBuilder } from '../graph.ts';
import { registerLayer } from '../registry.ts';
import { zeroPadding } from './basic.ts';

/**
 * Exporters of 1-D convolutions over time (channels last in tfjs, [B, C, T] in ONNX) and of the
 * convolutional positional embedding. Padded frames are zeroed before each convolution, so frames near
 * an utterance's end see zeros as they would alone; frame lengths follow the layer's output-length rule.
 */

/** Whether the layer pads `same` (output ceil(T / stride)): its explicit pads are 0 but it keeps that length. */
function padsSame(m: Conv1d): boolean {
  const span = m.dilation * (m.kernelSize - 1) + 1;
  if (m.padLeft !== 0 || m.padRight !== 0 || span === 1) return false;
  return [span + 7, span + 12, 3 * span + 5].every((n) => m.outputLength(n) === Math.ceil(n / m.stride));
}

/** Frames out for `lengths` frames in ([B] int64), as Conv1d.outputLength computes it. */
function convLengths(g: GraphBuilder, lengths: string, m: Conv1d): string {
  if (padsSame(m)) return g.div(g.add(lengths, g.ints([m.stride - 1], [])), g.ints([m.stride], []));
  const span = m.dilation * (m.kernelSize - 1) + 1;
  const extra = m.padLeft + m.padRight - span + m.stride;
  return g.div(g.max(g.add(lengths, g.ints([extra], [])), g.ints([0], [])), g.ints([m.stride], []));
}

/** The effective kernel in ONNX layout [Cout, Cin/groups, K]; weight normalisation becomes nodes on g and v. */
function onnxKernel(ctx: ExportContext, m: Conv1d): string {
  const g = ctx.g;
  let kernel: string;
  if (m.weight) kernel = ctx.weight(m.weight);
  else if (m.weightG && m.weightV) {
    const v = ctx.weight(m.weightV);
    const norm = g.sqrt(g.reduceSum(g.mul(v, v), [1, 2]));
    kernel = g.mul(v, g.div(ctx.weight(m.weightG), norm));
  } else throw new ExportError(`layer ${ctx.describe(m)} has neither weight nor weight_g/weight_v`);
  return g.transpose(kernel, [2, 1, 0]);
}

export function exportConv1d(ctx: ExportContext, m: Conv1d, input: Seq): Seq {
  if (input.dim !== m.inChannels) throw new ExportError(`layer ${ctx.describe(m)} takes ${m.inChannels} channels, gets ${input.dim}`);
  const g = ctx.g;
  const x = g.transpose(zeroPadding(g, input).x, [0, 2, 1]);
  const same = padsSame(m);
  const y = g.op('Conv', m.bias ? [x, onnxKernel(ctx, m), ctx.weight(m.bias)] : [x, onnxKernel(ctx, m)], {
    strides: [m.stride],
    dilations: [m.dilation],
    group: m.groups,
    pads: same ? undefined : [m.padLeft, m.padRight],
    auto_pad: same ? 'SAME_UPPER' : undefined,
  });
  return { x: g.transpose(y, [0, 2, 1]), dim: m.outChannels, lengths: input.lengths ? convLengths(g, input.lengths, m) : undefined };
}

export function exportConvPositionalEmbedding(ctx: ExportContext, m: ConvPositionalEmbedding, input: Seq): Seq {
  const g = ctx.g;
  let y = exportConv1d(ctx, m.conv, input).x;
  if (m.kernelSize % 2 === 0) y = g.sliceDynamic(y, g.ints([0]), g.shape(input.x, 1, 2), [1]);
  return { ...input, x: gelu(g, y) };
}

registerLayer(Conv1d, exportConv1d);
registerLayer(ConvPositionalEmbedding, exportConvPositionalEmbedding);

/** Conv2d keeps its padding private; the exporter reads it as the layer stores it. */
type Conv2dPadding = 'same' | 'valid' | [number, number][];

/** 2-D convolution on channels-last images [B, H, W, C] (a Seq whose x is 4-D, no lengths). */
export function exportConv2d(ctx: ExportContext, m: Conv2d, input: Seq): Seq {
  if (input.dim !== m.inChannels) throw new ExportError(`layer ${ctx.describe(m)} takes ${m.inChannels} channels, gets ${input.dim}`);
  const g = ctx.g;
  const pad = Reflect.get(m, 'pad') as Conv2dPadding;
  const x = g.transpose(input.x, [0, 3, 1, 2]);
  const w = g.transpose(ctx.weight(m.weight), [3, 2, 0, 1]); // [KH, KW, Cin, Cout] -> [Cout, Cin, KH, KW]
  const y = g.op('Conv', m.bias ? [x, w, ctx.weight(m.bias)] : [x, w], {
    strides: m.stride,
    auto_pad: pad === 'same' ? 'SAME_UPPER' : undefined,
    pads: pad === 'same' ? undefined : pad === 'valid' ? [0, 0, 0, 0] : [pad[1][0], pad[2][0], pad[1][1], pad[2][1]],
  });
  return { x: g.transpose(y, [0, 2, 3, 1]), dim: m.outChannels };
}

registerLayer(Conv2d, exportConv2d);
