import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../nn/module.ts';
import type { Rng } from '../util/rng.ts';
import { codebookPerplexity } from './losses/diversity.ts';
import { withGradient } from './losses/ops.ts';

/**
 * wav2vec 2.0's Gumbel-softmax product quantiser (Baevski et al. 2020, sec. 2; fairseq
 * GumbelVectorQuantizer). The input x [.., D] is mapped to logits l in R^{G x V} (a linear layer);
 * each group g picks one of its V codewords e_{g,v} (each codeDim / G wide) and the G picks are
 * concatenated:
 *
 *   training:  p_{g,v} = softmax_v((l_{g,v} + n_v) / tau),  n = -log(-log u), u ~ U(0, 1)
 *              forward uses the hard one-hot of argmax_v p_{g,v}; backward the gradient of p
 *              (straight-through Gumbel estimator)
 *   eval:      the one-hot of argmax_v l_{g,v}
 *
 * tau anneals from 2 to 0.5 by a factor 0.999995 per update: tau = max(2 * 0.999995^updates, 0.5);
 * the update count is the quantiser's only state (`getState`/`setState` for checkpoints; the Trainer
 * calls `setNumUpdates` each step). The Gumbel noise comes from the caller's Rng, so runs repeat.
 * Also returned: the perplexity of the batch-averaged softmax (differentiable; the diversity loss
 * reads it) and of the hard code counts (a metric). Initialisation as fairseq: projection weight
 * N(0, 1), bias 0, codewords U(0, 1).
 */
export interface GumbelQuantizerConfig {
  inputDim: number;
  /** G, number of codebooks. */
  groups: number;
  /** V, entries per codebook. */
  entriesPerGroup: number;
  /** Width of the quantized output (G codewords of codeDim / G each). */
  codeDim: number;
  maxTemperature: number;
  minTemperature: number;
  temperatureDecay: number;
}

export const GUMBEL_QUANTIZER_DEFAULTS: Omit<GumbelQuantizerConfig, 'inputDim'> = {
  groups: 2,
  entriesPerGroup: 320,
  codeDim: 256,
  maxTemperature: 2,
  minTemperature: 0.5,
  temperatureDecay: 0.999995,
};

export interface QuantizerOutput {
  /** [..., codeDim], the input's leading shape. */
  quantized: tf.Tensor;
  /** sum_g exp(H(mean softmax of group g)) over the counted frames; differentiable. */
  probPerplexity: tf.Scalar;
  /** The same from the hard code counts (a number, for logging). */
  codePerplexity: number;
  /** Chosen entry of each group per frame, [N * G] (frame-major). */
  codes: Int32Array;
  /** G * V, the diversity loss's normaliser. */
  numVars: number;
  temperature: number;
}

export interface QuantizerForwardOptions {
  /** Source of the Gumbel noise; required in training mode. */
  rng?: Rng;
  /** Frames counted in the perplexities (1 = counted), one per input row; default all. */
  frames?: ArrayLike<number>;
}

class Affine extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  constructor(inDim: number, outDim: number, rng: Rng) {
    super();
    this.weight = this.param('weight', tf.tensor2d(rng.normalArray(inDim * outDim), [inDim, outDim]));
    this.bias = this.param('bias', tf.zeros([outDim]));
  }
}

export class GumbelVectorQuantizer extends Module {
  readonly config: GumbelQuantizerConfig;
  readonly projection: Affine;
  /** Codewords [G * V, codeDim / G]. */
  readonly codebook: tf.Variable;
  private updates = 0;

  constructor(config: Partial<GumbelQuantizerConfig> & { inputDim: number }, rng: Rng) {
    super();
    const c: GumbelQuantizerConfig = { ...GUMBEL_QUANTIZER_DEFAULTS, ...config };
    for (const k of ['inputDim', 'groups', 'entriesPerGroup', 'codeDim'] as const) {
      if (!(Number.isInteger(c[k]) && c[k] >= 1)) throw new Error(`quantizer: ${k} must be a positive integer, got ${c[k]}`);
    }
    if (c.codeDim % c.groups !== 0) throw new Error(`quantizer: codeDim ${c.codeDim} is not divisible by groups ${c.groups}`);
    if (!(c.minTemperature > 0 && c.maxTemperature >= c.minTemperature)) throw new Error(`quantizer: need 0 < minTemperature <= maxTemperature, got ${c.minTemperature} and ${c.maxTemperature}`);
    if (!(c.temperatureDecay > 0 && c.temperatureDecay <= 1)) throw new Error(`quantizer: temperatureDecay must be in (0, 1], got ${c.temperatureDecay}`);
    this.config = c;
    const gv = c.groups * c.entriesPerGroup;
    this.projection = this.child('weight_proj', new Affine(c.inputDim, gv, rng));
    const words = new Float32Array(gv * (c.codeDim / c.groups));
    for (let i = 0; i < words.length; i++) words[i] = rng.next();
    this.codebook = this.param('vars', tf.tensor2d(words, [gv, c.codeDim / c.groups]));
  }

  get numUpdates(): number {
    return this.updates;
  }

  /** Sets the update count the temperature is annealed by (the Trainer calls it every update). */
  setNumUpdates(n: number): void {
    if (!(Number.isInteger(n) && n >= 0)) throw new Error(`quantizer: update count must be a non-negative integer, got ${n}`);
    this.updates = n;
  }

  /** max(maxTemperature * decay^updates, minTemperature). */
  get temperature(): number {
    const c = this.config;
    return Math.max(c.maxTemperature * Math.pow(c.temperatureDecay, this.updates), c.minTemperature);
  }

  getState(): { numUpdates: number } {
    return { numUpdates: this.updates };
  }

  setState(state: { numUpdates: number }): void {
    this.setNumUpdates(state.numUpdates);
  }

  forward(x: tf.Tensor, opts: QuantizerForwardOptions = {}): QuantizerOutput {
    const c = this.config;
    const g = c.groups;
    const v = c.entriesPerGroup;
    const lead = x.shape.slice(0, -1);
    const d = x.shape[x.rank - 1];
    if (d !== c.inputDim) throw new Error(`quantizer: input width ${d}, expected ${c.inputDim}`);
    const n = x.size / d;
    const frames = opts.frames ?? new Float32Array(n).fill(1);
    if (frames.length !== n) throw new Error(`quantizer: ${frames.length} frame flags for ${n} frames`);
    if (this.training && !opts.rng) throw new Error('quantizer: training mode needs an Rng for the Gumbel noise (opts.rng)');
    const temperature = this.temperature;
    let counted = 0;
    for (let i = 0; i < n; i++) if (frames[i] > 0) counted++;
    const codes = new Int32Array(n * g);
    const out = tf.tidy(() => {
      const logits = tf.reshape(tf.add(tf.matMul(tf.reshape(x, [n, d]), this.projection.weight), this.projection.bias), [n * g, v]);
      // Perplexity of the batch-averaged softmax over the counted frames.
      const w = tf.reshape(tf.tensor1d(Float32Array.from(frames, (f) => (f > 0 ? 1 : 0))), [n, 1, 1]);
      const probs = tf.reshape(tf.softmax(logits), [n, g, v]);
      const avg = tf.div(tf.sum(tf.mul(probs, w), 0), Math.max(counted, 1)) as tf.Tensor2D;
      const probPerplexity = codebookPerplexity(avg);
      let picked: tf.Tensor2D;
      if (this.training) {
        const noise = new Float32Array(n * g * v);
        const rng = opts.rng as Rng;
        for (let i = 0; i < noise.length; i++) {
          let u = rng.next();
          while (u === 0) u = rng.next();
          noise[i] = -Math.log(-Math.log(u));
        }
        const soft = tf.softmax(tf.div(tf.add(logits, tf.tensor2d(noise, [n * g, v])), temperature));
        picked = withGradient(soft, (s) => hardOneHot(s, v), (dy) => dy) as tf.Tensor2D;
      } else {
        picked = hardOneHot(logits, v) as tf.Tensor2D;
      }
      codes.set(tf.argMax(picked, -1).dataSync() as Int32Array);
      // [G, N, V] x [G, V, codeDim/G] -> [G, N, codeDim/G] -> [N, codeDim]
      const sel = tf.transpose(tf.reshape(picked, [n, g, v]), [1, 0, 2]);
      const words = tf.reshape(this.codebook, [g, v, c.codeDim / g]);
      const q = tf.reshape(tf.transpose(tf.matMul(sel, words), [1, 0, 2]), [...lead, c.codeDim]);
      return { quantized: q, probPerplexity };
    });
    return { ...out, codePerplexity: hardPerplexity(codes, frames, g, v, counted), codes, numVars: g * v, temperature };
  }
}

/** One-hot of the row argmax, float32. (oneHot straight to float32 returns int bit patterns on wasm: cast instead.) */
function hardOneHot(x: tf.Tensor, depth: number): tf.Tensor {
  return tf.tidy(() => tf.cast(tf.oneHot(tf.argMax(x, -1), depth), 'float32'));
}

function hardPerplexity(codes: Int32Array, frames: ArrayLike<number>, g: number, v: number, counted: number): number {
  if (counted === 0) return NaN;
  let total = 0;
  for (let gi = 0; gi < g; gi++) {
    const count = new Float64Array(v);
    for (let i = 0; i < frames.length; i++) if (frames[i] > 0) count[codes[i * g + gi]]++;
    let h = 0;
    for (let k = 0; k < v; k++) {
      const p = count[k] / counted;
      h -= p * Math.log(p + 1e-7);
    }
    total += Math.exp(h);
  }
  return total;
}
