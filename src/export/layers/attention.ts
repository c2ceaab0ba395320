import { MultiHeadAttention } from '../../nn/attention.ts';
import { TransformerBlock } from '../../nn/transformer-block.ts';
import type { ExportContext, Seq } from '../export-context.ts';
import { registerLayer } from '../registry.ts';
import { activation, exportLayerNorm, exportLinear, keepMask } from './basic.ts';

/** Exporters of self-attention and the transformer encoder layer. */

/** Additive score bias for padded keys, as the tfjs layer uses (softmax gives them exactly 0). */
const MASKED = -1e9;

export function exportMultiHeadAttention(ctx: ExportContext, m: MultiHeadAttention, input: Seq): Seq {
  const g = ctx.g;
  const toHeads = (y: string, perm: number[]) => g.transpose(g.reshape(y, [0, 0, m.heads, m.headDim]), perm);
  const q = toHeads(g.mul(exportLinear(ctx, m.qProj, input).x, g.floats([1 / Math.sqrt(m.headDim)])), [0, 2, 1, 3]); // [B, H, T, d]
  const kT = toHeads(exportLinear(ctx, m.kProj, input).x, [0, 2, 3, 1]); // [B, H, d, T]
  const v = toHeads(exportLinear(ctx, m.vProj, input).x, [0, 2, 1, 3]);
  let scores = g.matMul(q, kT); // [B, H, T, T]
  if (input.lengths) {
    const padding = g.sub(g.floats([1]), g.squeeze(keepMask(g, input), [2])); // [B, T]
    scores = g.add(scores, g.unsqueeze(g.mul(padding, g.floats([MASKED])), [1, 2]));
  }
  const context = g.reshape(g.transpose(g.matMul(g.softmax(scores, -1), v), [0, 2, 1, 3]), [0, 0, m.dim]);
  return exportLinear(ctx, m.outProj, { ...input, x: context, dim: m.dim });
}

export function exportTransformerBlock(ctx: ExportContext, m: TransformerBlock, input: Seq): Seq {
  const g = ctx.g;
  const act = m.opts.activation ?? 'gelu';
  const feedForward = (h: Seq): string => exportLinear(ctx, m.fc2, { ...h, x: activation(g, exportLinear(ctx, m.fc1, h).x, act), dim: m.fc1.outFeatures }).x;
  if (m.opts.normFirst ?? true) {
    const h = { ...input, x: g.add(input.x, exportMultiHeadAttention(ctx, m.selfAttn, exportLayerNorm(ctx, m.attnNorm, input)).x) };
    return { ...h, x: g.add(h.x, feedForward(exportLayerNorm(ctx, m.ffnNorm, h))) };
  }
  const h = exportLayerNorm(ctx, m.attnNorm, { ...input, x: g.add(input.x, exportMultiHeadAttention(ctx, m.selfAttn, input).x) });
  return exportLayerNorm(ctx, m.ffnNorm, { ...h, x: g.add(h.x, feedForward(h)) });
}

registerLayer(MultiHeadAttention, exportMultiHeadAttention);
registerLayer(TransformerBlock, exportTransformerBlock);
