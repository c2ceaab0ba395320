import { CpcEncoder } from '../../models/cpc.ts';
import type { ExportContext, Seq } from '../export-context.ts';
import { exportRecurrentLayer } from '../layers/recurrent.ts';
import { exportLayer, registerEncoder, type EncoderExportOptions, type EncoderGraph } from '../registry.ts';

/**
 * The CPC encoder: z = conv stack (or projection) of the input = hidden[0]; each recurrent layer (GRU or
 * LSTM, frame lengths to `sequence_lens`) gives hidden[i]; the output is the last layer run.
 */
export function exportCpc(ctx: ExportContext, enc: CpcEncoder, input: Seq, opts: EncoderExportOptions): EncoderGraph {
  const z = enc.frontend ? exportLayer(ctx, enc.frontend, input) : exportLayer(ctx, enc.projection!, input);
  const hidden: Seq[] = [z];
  const stop = Math.min(opts.maxLayer ?? enc.numLayers, enc.numLayers);
  let h = z;
  for (let l = 0; l < stop; l++) {
    h = exportRecurrentLayer(ctx, enc.rnn, l, h);
    hidden.push(h);
  }
  return { output: h, hidden };
}

registerEncoder(CpcEncoder, exportCpc);
