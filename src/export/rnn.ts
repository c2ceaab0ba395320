import type { GraphBuilder } from './graph.ts';

/**
 * LSTM and GRU as single ONNX nodes, and the conversion of weights from the layouts other libraries use.
 *
 * Gate orders (each letter one block of `hidden` rows/columns):
 *   ONNX LSTM  i o f c      tfjs-layers / Keras LSTM  i f c o      PyTorch LSTM  i f g o (g = c)
 *   ONNX GRU   z r h        tfjs-layers / Keras GRU   z r h        PyTorch GRU   r z n (n = h)
 * ONNX GRU computes the candidate as tanh(x Wh + (r * h) Rh + Rbh + Wbh) with linear_before_reset = 0
 * (Keras `reset_after: false`, tfjs-layers) and tanh(x Wh + r * (h Rh + Rbh) + Wbh) with 1 (PyTorch,
 * Keras `reset_after: true`). Both compute h' = (1 - z) * candidate + z * h.
 * Keras-style kernels are [in, gates*hidden] (x @ kernel); ONNX W is [dirs, gates*hidden, in] (x @ W^T).
 */

export const ONNX_LSTM_GATES = 'iofc';
export const ONNX_GRU_GATES = 'zrh';

/** Gate-block permutation: for each gate of `to`, its block index in `from`. */
function gatePermutation(from: string, to: string): number[] {
  if (from.length !== to.length || [...to].some((c) => !from.includes(c))) throw new Error(`gate orders "${from}" and "${to}" do not match`);
  return [...to].map((c) => from.indexOf(c));
}

/**
 * Reorders the gate blocks of a weight matrix and lays it out ONNX-style.
 * `m` is [rows, gates*hidden] when `columnsAreGates` (Keras kernel) or [gates*hidden, rows] (PyTorch weight);
 * the result is always [gates*hidden, rows] in the `to` gate order.
 */
export function onnxGateMatrix(m: Float32Array, rows: number, hidden: number, from: string, to: string, columnsAreGates: boolean): Float32Array {
  const gates = from.length;
  if (m.length !== rows * gates * hidden) throw new Error(`gate matrix: ${m.length} values, expected ${rows}x${gates * hidden}`);
  const perm = gatePermutation(from, to);
  const out = new Float32Array(m.length);
  for (let gi = 0; gi < gates; gi++) {
    const src = perm[gi];
    for (let h = 0; h < hidden; h++) {
      const outRow = gi * hidden + h;
      const srcUnit = src * hidden + h;
      for (let r = 0; r < rows; r++) {
        out[outRow * rows + r] = columnsAreGates ? m[r * gates * hidden + srcUnit] : m[srcUnit * rows + r];
      }
    }
  }
  return out;
}

/** Reorders the gate blocks of a bias vector [gates*hidden]. */
export function onnxGateVector(b: Float32Array, hidden: number, from: string, to: string): Float32Array {
  const perm = gatePermutation(from, to);
  const out = new Float32Array(b.length);
  perm.forEach((src, gi) => out.set(b.subarray(src * hidden, (src + 1) * hidden), gi * hidden));
  return out;
}

export interface RecurrentNodeOptions {
  hidden: number;
  /** ONNX `sequence_lens` ([B] int32): steps past a length are not run and give zeros. */
  sequenceLens?: string;
  /** Initial hidden state [dirs, B, hidden]. */
  initialH?: string;
}

/**
 * One unidirectional LSTM over `x` [T, B, in] with W [1, 4H, in], R [1, 4H, H], B [1, 8H] in ONNX layout.
 * Returns Y [T, 1, B, H] and the last hidden state Y_h [1, B, H].
 */
export function lstmNode(g: GraphBuilder, x: string, w: string, r: string, b: string, opts: RecurrentNodeOptions): { y: string; yH: string } {
  const [y, yH] = g.node('LSTM', [x, w, r, b, opts.sequenceLens ?? '', opts.initialH ?? ''], { hidden_size: opts.hidden, direction: 'forward' }, 2);
  return { y, yH };
}

/** One unidirectional GRU, W [1, 3H, in], R [1, 3H, H], B [1, 6H]; outputs as lstmNode. */
export function gruNode(g: GraphBuilder, x: string, w: string, r: string, b: string, opts: RecurrentNodeOptions & { linearBeforeReset: boolean }): { y: string; yH: string } {
  const [y, yH] = g.node(
    'GRU',
    [x, w, r, b, opts.sequenceLens ?? '', opts.initialH ?? ''],
    { hidden_size: opts.hidden, direction: 'forward', linear_before_reset: opts.linearBeforeReset ? 1 : 0 },
    2,
  );
  return { y, yH };
}
