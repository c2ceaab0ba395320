import { AudioTransformerEncoder } from '../../models/audio-transformer.ts';
import type { ExportContext, Seq } from '../export-context.ts';
import { exportLayer, registerEncoder, type EncoderExportOptions, type EncoderGraph } from '../registry.ts';

/**
 * The audio transformer (HuBERT / wav2vec 2.0 shape) in eval mode, as its tfjs forward computes it:
 * local features (conv stack or none) -> LayerNorm -> projection -> + positional convolution of the
 * features (padding zeroed) -> [post-LN: encoder norm] = hidden[0] -> transformer blocks with key padding
 * -> [pre-LN: encoder norm] = output. Dropout and frame masking are training-only and not exported.
 */
export function exportAudioTransformer(ctx: ExportContext, enc: AudioTransformerEncoder, input: Seq, opts: EncoderExportOptions): EncoderGraph {
  const g = ctx.g;
  const c = enc.config;
  let h = input;
  if (enc.frontend) h = exportLayer(ctx, enc.frontend, h);
  if (enc.featureNorm) h = exportLayer(ctx, enc.featureNorm, h);
  h = exportLayer(ctx, enc.projection, h);
  if (enc.posConv) h = { ...h, x: g.add(h.x, exportLayer(ctx, enc.posConv, h).x) };
  if (!c.normFirst) h = exportLayer(ctx, enc.encoderNorm, h);
  const hidden: Seq[] = [h];
  const stop = Math.min(opts.maxLayer ?? c.layers, c.layers);
  for (let i = 0; i < stop; i++) {
    h = exportLayer(ctx, enc.blocks[i], h);
    hidden.push(h);
  }
  const output = c.normFirst ? exportLayer(ctx, enc.encoderNorm, h) : h;
  return { output, hidden };
}

registerEncoder(AudioTransformerEncoder, exportAudioTransformer);
