import { BasicBlock, ResNetEncoder } from '../../models/resnet.ts';
import type { GroupNorm } from '../../nn/group-norm.ts';
import type { Conv2d } from '../../nn/conv2d.ts';
import type { ExportContext, Seq } from '../export-context.ts';
import { exportLayer, registerEncoder, registerLayer, type EncoderGraph } from '../registry.ts';

/**
 * The small GroupNorm ResNet on NHWC images [B, H, W, C] (any size: every op is shape-generic):
 * stem conv -> GN -> ReLU, basic blocks ReLU(GN(conv2(ReLU(GN(conv1 x)))) + shortcut), then the final
 * map read as h*w tokens [B, h*w, D] in row-major order (or their mean with `pool: mean`). Group norm
 * of a map is the sequence GroupNorm on its [B, H*W, C] view, as in the tfjs model.
 */

function groupNorm2d(ctx: ExportContext, norm: GroupNorm, x: Seq): Seq {
  const g = ctx.g;
  const flat = exportLayer(ctx, norm, { x: g.reshape(x.x, [0, -1, x.dim]), dim: x.dim });
  return { x: g.reshape(flat.x, g.shape(x.x)), dim: x.dim };
}

function convNorm(ctx: ExportContext, conv: Conv2d, norm: GroupNorm, x: Seq): Seq {
  return groupNorm2d(ctx, norm, exportLayer(ctx, conv, x));
}

export function exportBasicBlock(ctx: ExportContext, m: BasicBlock, input: Seq): Seq {
  const g = ctx.g;
  const y = convNorm(ctx, m.conv1, m.norm1, input);
  const z = convNorm(ctx, m.conv2, m.norm2, { ...y, x: g.relu(y.x) });
  const skip = m.shortcut && m.shortcutNorm ? convNorm(ctx, m.shortcut, m.shortcutNorm, input) : input;
  return { x: g.relu(g.add(z.x, skip.x)), dim: m.outChannels };
}

export function exportResNet(ctx: ExportContext, enc: ResNetEncoder, input: Seq): EncoderGraph {
  const g = ctx.g;
  const stem = convNorm(ctx, enc.stem.conv, enc.stem.norm, input);
  let h: Seq = { ...stem, x: g.relu(stem.x) };
  for (const block of enc.blocks) h = exportLayer(ctx, block, h);
  let tokens = g.reshape(h.x, [0, -1, h.dim]);
  if (enc.config.pool === 'mean') tokens = g.reduceMean(tokens, [1], true);
  const out: Seq = { x: tokens, dim: h.dim };
  return { output: out, hidden: [out] };
}

registerLayer(BasicBlock, exportBasicBlock);
registerEncoder(ResNetEncoder, exportResNet);
