import { GRU } from '../../nn/gru.ts';
import { LSTM } from '../../nn/lstm.ts';
import type { Recurrent } from '../../nn/recurrent.ts';
import type { Module } from '../../nn/module.ts';
import { ExportError, type ExportContext, type Seq } from '../export-context.ts';
import type { GraphBuilder } from '../graph.ts';
import { DataType } from '../../util/onnx-schema.ts';
import { registerLayer } from '../registry.ts';
import { gruNode, lstmNode, ONNX_GRU_GATES, ONNX_LSTM_GATES } from '../rnn.ts';

/**
 * Exporters of the stacked GRU and LSTM (PyTorch gate order and semantics, weights [in, G*H]) as ONNX
 * GRU (linear_before_reset = 1) and LSTM nodes, one per layer. The gate blocks are reordered by nodes on
 * the checkpoint's weights (folded at load). Frame lengths go to `sequence_lens`: the outputs of the
 * valid frames are those of the utterance alone; padded frames give zeros.
 */

/** [G*H] or [rows, G*H] (gates as column blocks) reordered from `from` to `to` gate order, along the last axis. */
function reorderGates(g: GraphBuilder, w: string, hidden: number, from: string, to: string, rank: number): string {
  const axis = rank - 1;
  const blocks = [...to].map((c) => {
    const i = from.indexOf(c);
    return g.slice(w, [i * hidden], [(i + 1) * hidden], [axis]);
  });
  return g.concat(blocks, axis);
}

function recurrentWeights(ctx: ExportContext, layer: Module, name: string): { wih: string; whh: string; bih: string; bhh: string } {
  const params = new Map([...layer.namedParameters()]);
  const get = (n: string) => {
    const v = params.get(`${n}_l${name}`);
    if (!v) throw new ExportError(`layer ${ctx.describe(layer)} has no parameter ${n}_l${name}`);
    return ctx.weight(v);
  };
  return { wih: get('weight_ih'), whh: get('weight_hh'), bih: get('bias_ih'), bhh: get('bias_hh') };
}

function gateOrders(m: Recurrent): { from: string; to: string } {
  if (m instanceof LSTM) return { from: 'ifco', to: ONNX_LSTM_GATES };
  if (m instanceof GRU) return { from: 'rzh', to: ONNX_GRU_GATES };
  throw new ExportError(`recurrent layer ${m.constructor.name} has no ONNX exporter`);
}

/** Layer `l` of a stacked GRU/LSTM on `input` [B, T, in]; returns its outputs [B, T, H]. */
export function exportRecurrentLayer(ctx: ExportContext, m: Recurrent, l: number, input: Seq): Seq {
  const g = ctx.g;
  const inSize = l === 0 ? m.inputSize : m.hiddenSize;
  if (input.dim !== inSize) throw new ExportError(`layer ${ctx.describe(m)} (layer ${l}) takes ${inSize} features, gets ${input.dim}`);
  const H = m.hiddenSize;
  const { from, to } = gateOrders(m);
  const w = recurrentWeights(ctx, m, String(l));
  const W = g.unsqueeze(g.transpose(reorderGates(g, w.wih, H, from, to, 2), [1, 0]), [0]);
  const R = g.unsqueeze(g.transpose(reorderGates(g, w.whh, H, from, to, 2), [1, 0]), [0]);
  const B = g.unsqueeze(g.concat([reorderGates(g, w.bih, H, from, to, 1), reorderGates(g, w.bhh, H, from, to, 1)], 0), [0]);
  const opts = { hidden: H, sequenceLens: input.lengths ? g.cast(input.lengths, DataType.INT32) : undefined };
  const x = g.transpose(input.x, [1, 0, 2]); // [T, B, in]
  const { y } = m instanceof LSTM ? lstmNode(g, x, W, R, B, opts) : gruNode(g, x, W, R, B, { ...opts, linearBeforeReset: true });
  return { ...input, x: g.transpose(g.squeeze(y, [1]), [1, 0, 2]), dim: H };
}

function exportRecurrent(ctx: ExportContext, m: Recurrent, input: Seq): Seq {
  let h = input;
  for (let l = 0; l < m.numLayers; l++) h = exportRecurrentLayer(ctx, m, l, h);
  return h;
}

registerLayer(GRU, exportRecurrent);
registerLayer(LSTM, exportRecurrent);
