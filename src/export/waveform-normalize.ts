import type { GraphBuilder } from './graph.ts';
import { paddingMaskFromLengths } from './masks.ts';

/**
 * Per-utterance waveform normalisation inside the graph, as audio/waveform-normalize.ts computes it:
 * (x - mean) / sqrt(var + eps) over each row's own samples (the first `lengths[b]`), biased variance;
 * padded samples come out as zeros. x: [B, S] float, lengths: [B] int64.
 */
export function normalizeWaveformGraph(g: GraphBuilder, x: string, lengths: string, eps: number): string {
  const valid = g.sub(g.floats([1]), paddingMaskFromLengths(g, lengths, x));
  const count = g.max(g.reduceSum(valid, [1], true), g.floats([1]));
  const mean = g.div(g.reduceSum(g.mul(x, valid), [1], true), count);
  const centred = g.mul(g.sub(x, mean), valid);
  const variance = g.div(g.reduceSum(g.mul(centred, centred), [1], true), count);
  return g.div(centred, g.sqrt(g.add(variance, g.floats([eps]))));
}
