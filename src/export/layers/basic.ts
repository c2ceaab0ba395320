import { Linear } from '../../nn/linear.ts';
import { LayerNorm } from '../../nn/layer-norm.ts';
import { GroupNorm } from '../../nn/group-norm.ts';
import type { Activation } from '../../nn/gelu.ts';
import { gelu } from '../composite.ts';
import { ExportError, type ExportContext, type Seq } from '../export-context.ts';
import type { GraphBuilder } from '../graph.ts';
import { registerLayer } from '../registry.ts';
import { DataType } from '../../util/onnx-schema.ts';

/** Exporters of the per-frame layers: Linear, LayerNorm, GroupNorm (over time), activations. */

/** The activation named in a layer config, as nodes. */
export function activation(g: GraphBuilder, x: string, kind: Activation): string {
  switch (kind) {
    case 'gelu':
      return gelu(g, x);
    case 'relu':
      return g.relu(x);
    case 'tanh':
      return g.tanh(x);
    case 'identity':
      return x;
    default:
      throw new ExportError(`activation "${String(kind)}" has no ONNX exporter`);
  }
}

/** [B, T, 1] float, 1 on valid frames (for zeroing padding and masked statistics). */
export function keepMask(g: GraphBuilder, seq: Seq): string {
  if (!seq.lengths) throw new Error('keepMask needs lengths');
  const t = g.squeeze(g.shape(seq.x, 1, 2), [0]);
  const positions = g.unsqueeze(g.range(g.ints([0], []), t, g.ints([1], [])), [0]);
  return g.unsqueeze(g.cast(g.less(positions, g.unsqueeze(seq.lengths, [1])), DataType.FLOAT), [2]);
}

/** Sets padded frames to zero (convolutions then see what an utterance alone would: zero padding). */
export function zeroPadding(g: GraphBuilder, seq: Seq): Seq {
  return seq.lengths ? { ...seq, x: g.mul(seq.x, keepMask(g, seq)) } : seq;
}

export function exportLinear(ctx: ExportContext, m: Linear, input: Seq): Seq {
  if (input.dim !== m.inFeatures) throw new ExportError(`layer ${ctx.describe(m)} takes ${m.inFeatures} features, gets ${input.dim}`);
  const y = ctx.g.matMul(input.x, ctx.weight(m.weight));
  return { ...input, x: m.bias ? ctx.g.add(y, ctx.weight(m.bias)) : y, dim: m.outFeatures };
}

export function exportLayerNorm(ctx: ExportContext, m: LayerNorm, input: Seq): Seq {
  return { ...input, x: ctx.g.layerNorm(input.x, ctx.weight(m.weight), ctx.weight(m.bias), m.eps) };
}

/**
 * GroupNorm over time on [B, T, C]. With frame lengths the statistics use only each utterance's own
 * frames, so a padded batch gives what each utterance gives alone.
 */
export function exportGroupNorm(ctx: ExportContext, m: GroupNorm, input: Seq): Seq {
  const g = ctx.g;
  const per = m.channels / m.groups;
  const grouped = g.reshape(input.x, [0, 0, m.groups, per]); // [B, T, G, C/G]
  let mean: string;
  let variance: string;
  if (input.lengths) {
    const keep = g.unsqueeze(keepMask(g, input), [3]); // [B, T, 1, 1]
    const count = g.mul(g.cast(g.reshape(input.lengths, [-1, 1, 1, 1]), DataType.FLOAT), g.floats([per]));
    mean = g.div(g.reduceSum(g.mul(grouped, keep), [1, 3]), count);
    const centred = g.mul(g.sub(grouped, mean), keep);
    variance = g.div(g.reduceSum(g.mul(centred, centred), [1, 3]), count);
  } else {
    mean = g.reduceMean(grouped, [1, 3]);
    const centred = g.sub(grouped, mean);
    variance = g.reduceMean(g.mul(centred, centred), [1, 3]);
  }
  const normed = g.div(g.sub(grouped, mean), g.sqrt(g.add(variance, g.floats([m.eps]))));
  const back = g.reshape(normed, [0, 0, m.channels]);
  return { ...input, x: g.add(g.mul(back, ctx.weight(m.weight)), ctx.weight(m.bias)) };
}

registerLayer(Linear, exportLinear);
registerLayer(LayerNorm, exportLayerNorm);
registerLayer(GroupNorm, exportGroupNorm);
