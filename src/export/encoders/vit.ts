import { VitEncoder } from '../../models/vit.ts';
import type { ExportContext, Seq } from '../export-context.ts';
import { exportLayer, registerEncoder, type EncoderExportOptions, type EncoderGraph } from '../registry.ts';

/**
 * The Vision Transformer on NHWC images of its configured size: patch embedding (a p x p convolution of
 * stride p) read as row-major tokens, + the learned position embedding = hidden[0], pre-LN blocks, final
 * LayerNorm (and the mean over tokens with `pool: mean`) = output. Frame masking is training-only.
 */
export function exportVit(ctx: ExportContext, enc: VitEncoder, input: Seq, opts: EncoderExportOptions): EncoderGraph {
  const g = ctx.g;
  const patches = exportLayer(ctx, enc.patchEmbed, input);
  let h: Seq = { x: g.add(g.reshape(patches.x, [0, -1, enc.config.dim]), ctx.weight(enc.posEmbedding)), dim: enc.config.dim };
  const hidden: Seq[] = [h];
  const stop = Math.min(opts.maxLayer ?? enc.numLayers, enc.numLayers);
  for (let i = 0; i < stop; i++) {
    h = exportLayer(ctx, enc.blocks[i], h);
    hidden.push(h);
  }
  let out = exportLayer(ctx, enc.finalNorm, h);
  if (enc.config.pool === 'mean') out = { ...out, x: g.reduceMean(out.x, [1], true) };
  return { output: out, hidden };
}

registerEncoder(VitEncoder, exportVit);
