import { ConvStack } from '../../models/conv-stack.ts';
import type { ExportContext, Seq } from '../export-context.ts';
import { activation } from '../layers/basic.ts';
import { exportLayer, registerLayer } from '../registry.ts';

/**
 * The strided convolution stack of the audio encoders (waveform stack, log-mel subsampler, CPC's
 * encoder): each convolution, its norm (GroupNorm over each utterance's own frames, or LayerNorm), then
 * the activation. The convolution exporter zeroes padded frames first, so a padded batch gives each
 * utterance what it gives alone.
 */
export function exportConvStack(ctx: ExportContext, m: ConvStack, input: Seq): Seq {
  let h = input;
  for (let i = 0; i < m.convs.length; i++) {
    h = exportLayer(ctx, m.convs[i], h);
    const norm = m.norms[i];
    if (norm) h = exportLayer(ctx, norm, h);
    h = { ...h, x: activation(ctx.g, h.x, m.opts.activation ?? 'gelu') };
  }
  return h;
}

registerLayer(ConvStack, exportConvStack);
