import { lbfgs } from './lbfgs.ts';
import { PROBE_DEFAULTS, type ProbeConfig } from './linear-probe.ts';
import type { Pooling } from './pooling.ts';

/**
 * SUPERB's probing protocol (Yang et al. 2021, "SUPERB: Speech processing Universal PERformance
 * Benchmark"): the frozen model's hidden states h_0..h_{L-1} are combined frame by frame as
 * sum_l softmax(a)_l h_l with the L weights `a` learned together with the downstream model; here the
 * downstream model is this project's linear probe over the pooled combination.
 *
 * Each layer is first standardised per dimension with the mean and standard deviation of its frames in the
 * training utterances (so that no layer wins by its scale alone; s3prl's featurizer offers a layer norm for
 * the same reason). Pooling is exact without keeping frames: the mean of the combination is the
 * combination of the layer means, and its variance in dimension d is w' C_d w with C_d the within-utterance
 * covariance of the layers in that dimension. The pooled vector is standardised with constants taken at
 * uniform weights (fixed, for conditioning), then multinomial logistic regression; softmax weights, W and b
 * are trained together with L-BFGS on mean cross-entropy + (l2 / 2) ||W||^2, from a = 0 (uniform weights),
 * W = 0. Deterministic.
 */

/** Per-utterance statistics of L hidden states of D dims, enough to pool any weighted sum of them. */
export interface LayerStats {
  layers: number;
  dims: number;
  /** Frames of each utterance. */
  frames: Int32Array;
  /** [n, L, D] frame mean of each layer. */
  means: Float64Array;
  /** [n, D, L, L] within-utterance covariance of the layers, per dimension (only for mean+std pooling). */
  cov: Float64Array | null;
}

/** Statistics of utterances whose rows hold the L layers side by side ([frames, L * D]). */
export function layerStats(utts: Float32Array[], layers: number, dims: number, withCov: boolean): LayerStats {
  const n = utts.length, L = layers, D = dims, W = L * D;
  const frames = new Int32Array(n);
  const means = new Float64Array(n * L * D);
  const cov = withCov ? new Float64Array(n * D * L * L) : null;
  const sq = new Float64Array(D * L * L);
  for (let i = 0; i < n; i++) {
    const x = utts[i];
    const T = Math.floor(x.length / W);
    if (T * W !== x.length) throw new Error(`layerStats: utterance ${i} has ${x.length} values, not a multiple of ${L} layers x ${D}`);
    frames[i] = T;
    const m = means.subarray(i * L * D, (i + 1) * L * D);
    for (let t = 0; t < T; t++) for (let j = 0; j < W; j++) m[j] += x[t * W + j];
    if (T > 0) for (let j = 0; j < W; j++) m[j] /= T;
    if (!cov) continue;
    sq.fill(0);
    for (let t = 0; t < T; t++) {
      const row = t * W;
      for (let d = 0; d < D; d++) {
        const base = d * L * L;
        for (let l = 0; l < L; l++) {
          const v = x[row + l * D + d] - m[l * D + d];
          for (let k = l; k < L; k++) sq[base + l * L + k] += v * (x[row + k * D + d] - m[k * D + d]);
        }
      }
    }
    const c = cov.subarray(i * D * L * L, (i + 1) * D * L * L);
    for (let d = 0; d < D; d++) {
      const base = d * L * L;
      for (let l = 0; l < L; l++) {
        for (let k = l; k < L; k++) {
          const v = T > 0 ? sq[base + l * L + k] / T : 0;
          c[base + l * L + k] = v;
          c[base + k * L + l] = v;
        }
      }
    }
  }
  return { layers, dims, frames, means, cov };
}

export interface WeightedLayerProbe {
  pool: Pooling;
  layers: number;
  dims: number;
  numClasses: number;
  /** Softmax weights of the layers (what SUPERB reports). */
  layerWeights: Float64Array;
  /** Per-layer frame standardisation, [L, D] each. */
  layerMean: Float64Array;
  layerStd: Float64Array;
  /** Fixed standardisation of the pooled vector, [P] each. */
  poolMean: Float64Array;
  poolStd: Float64Array;
  /** [C, P] row-major and [C]. */
  weights: Float64Array;
  bias: Float64Array;
  iterations: number;
  loss: number;
}

function softmax(a: Float64Array): Float64Array {
  const m = Math.max(...a);
  const e = a.map((v) => Math.exp(v - m));
  const s = e.reduce((x, y) => x + y, 0);
  return e.map((v) => v / s);
}

/** Frame mean and std of each layer over the utterances `rows` (frame-weighted), [L * D] each. */
function frameStandardisation(s: LayerStats, rows: number[]): { mean: Float64Array; std: Float64Array } {
  const L = s.layers, D = s.dims, LD = L * D;
  const mean = new Float64Array(LD), second = new Float64Array(LD);
  let total = 0;
  for (const i of rows) {
    const T = s.frames[i];
    total += T;
    for (let j = 0; j < LD; j++) mean[j] += T * s.means[i * LD + j];
  }
  for (let j = 0; j < LD; j++) mean[j] /= Math.max(total, 1);
  // E[x^2] over frames = sum_i T_i (var_i + m_i^2); the within-utterance variance is the covariance's diagonal (or 0 without it).
  for (const i of rows) {
    const T = s.frames[i];
    for (let l = 0; l < L; l++) {
      for (let d = 0; d < D; d++) {
        const m = s.means[i * LD + l * D + d] - mean[l * D + d];
        const v = s.cov ? s.cov[((i * D + d) * L + l) * L + l] : 0;
        second[l * D + d] += T * (v + m * m);
      }
    }
  }
  const std = second.map((v) => (v / Math.max(total, 1) > 1e-24 ? Math.sqrt(v / Math.max(total, 1)) : 1));
  return { mean, std };
}

/**
 * The pooled vector of utterance i at layer weights w (standardised layers, before the pool
 * standardisation) into `out`; with `dW` it also returns, per pooled dimension p, d out[p] / d w_l in
 * dW[p * L + l].
 */
function pooledAt(s: LayerStats, i: number, w: Float64Array, pool: Pooling, lm: Float64Array, ls: Float64Array, out: Float64Array, dW?: Float64Array): void {
  const L = s.layers, D = s.dims, LD = L * D;
  for (let d = 0; d < D; d++) {
    let m = 0;
    for (let l = 0; l < L; l++) {
      const a = (s.means[i * LD + l * D + d] - lm[l * D + d]) / ls[l * D + d];
      m += w[l] * a;
      if (dW) dW[d * L + l] = a;
    }
    out[d] = m;
    if (pool !== 'mean+std') continue;
    const c = s.cov!, base = (i * D + d) * L * L;
    let q = 0;
    const cw = new Float64Array(L);
    for (let l = 0; l < L; l++) {
      let acc = 0;
      for (let k = 0; k < L; k++) acc += (c[base + l * L + k] / (ls[l * D + d] * ls[k * D + d])) * w[k];
      cw[l] = acc;
      q += w[l] * acc;
    }
    const sd = Math.sqrt(Math.max(q, 0) + 1e-12);
    out[D + d] = sd;
    if (dW) for (let l = 0; l < L; l++) dW[(D + d) * L + l] = cw[l] / sd;
  }
}

/** The training objective over parameters [W (C x P), b (C), a (L)] and the constants it standardises with. */
export interface WeightedLayerObjective {
  size: number;
  objective: (x: Float64Array, grad: Float64Array) => number;
  layerMean: Float64Array;
  layerStd: Float64Array;
  poolMean: Float64Array;
  poolStd: Float64Array;
}

export function weightedLayerObjective(s: LayerStats, rows: number[], labels: Int32Array, numClasses: number, pool: Pooling, l2: number): WeightedLayerObjective {
  if (rows.length === 0) throw new Error('trainWeightedLayerProbe: no training rows');
  if (pool === 'mean+std' && !s.cov) throw new Error('trainWeightedLayerProbe: mean+std pooling needs the layer covariances');
  const L = s.layers, D = s.dims, C = numClasses, n = rows.length;
  const P = pool === 'mean' ? D : 2 * D;
  const { mean: layerMean, std: layerStd } = frameStandardisation(s, rows);
  // Fixed pool standardisation at uniform weights.
  const uniform = new Float64Array(L).fill(1 / L);
  const poolMean = new Float64Array(P), poolSq = new Float64Array(P), f = new Float64Array(P);
  for (const i of rows) {
    pooledAt(s, i, uniform, pool, layerMean, layerStd, f);
    for (let p = 0; p < P; p++) {
      poolMean[p] += f[p] / n;
      poolSq[p] += (f[p] * f[p]) / n;
    }
  }
  const poolStd = poolSq.map((v, p) => (v - poolMean[p] ** 2 > 1e-24 ? Math.sqrt(v - poolMean[p] ** 2) : 1));

  if (labels.length !== n) throw new Error(`trainWeightedLayerProbe: ${labels.length} labels for ${n} rows`);
  const nW = C * P, offB = nW, offA = nW + C;
  const logits = new Float64Array(C), r = new Float64Array(C), z = new Float64Array(P), dW = new Float64Array(P * L), gw = new Float64Array(L);
  const objective = (x: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    gw.fill(0);
    const w = softmax(x.subarray(offA, offA + L));
    let loss = 0;
    rows.forEach((i, ri) => {
      pooledAt(s, i, w, pool, layerMean, layerStd, f, dW);
      for (let p = 0; p < P; p++) z[p] = (f[p] - poolMean[p]) / poolStd[p];
      let max = -Infinity;
      for (let k = 0; k < C; k++) {
        let v = x[offB + k];
        for (let p = 0; p < P; p++) v += x[k * P + p] * z[p];
        logits[k] = v;
        if (v > max) max = v;
      }
      let sum = 0;
      for (let k = 0; k < C; k++) sum += Math.exp(logits[k] - max);
      const logSum = max + Math.log(sum);
      const y = labels[ri];
      loss += logSum - logits[y];
      for (let k = 0; k < C; k++) r[k] = (Math.exp(logits[k] - logSum) - (k === y ? 1 : 0)) / n;
      for (let k = 0; k < C; k++) {
        grad[offB + k] += r[k];
        for (let p = 0; p < P; p++) grad[k * P + p] += r[k] * z[p];
      }
      for (let p = 0; p < P; p++) {
        let g = 0;
        for (let k = 0; k < C; k++) g += r[k] * x[k * P + p];
        g /= poolStd[p];
        for (let l = 0; l < L; l++) gw[l] += g * dW[p * L + l];
      }
    });
    loss /= n;
    for (let j = 0; j < nW; j++) {
      loss += 0.5 * l2 * x[j] * x[j];
      grad[j] += l2 * x[j];
    }
    let wg = 0;
    for (let l = 0; l < L; l++) wg += w[l] * gw[l];
    for (let l = 0; l < L; l++) grad[offA + l] = w[l] * (gw[l] - wg);
    return loss;
  };
  return { size: nW + C + L, objective, layerMean, layerStd, poolMean, poolStd };
}

/** Trains the weighted-sum probe on utterances `rows` of `s` with labels (one per row) in [0, numClasses). */
export function trainWeightedLayerProbe(s: LayerStats, rows: number[], labels: Int32Array, numClasses: number, pool: Pooling, partial: Partial<ProbeConfig> = {}): WeightedLayerProbe {
  const cfg = { ...PROBE_DEFAULTS, ...partial };
  const L = s.layers, D = s.dims, C = numClasses;
  const P = pool === 'mean' ? D : 2 * D;
  const nW = C * P, offB = nW, offA = nW + C;
  const { objective, size, layerMean, layerStd, poolMean, poolStd } = weightedLayerObjective(s, rows, labels, numClasses, pool, cfg.l2);
  const res = lbfgs(objective, new Float64Array(size), { maxIter: cfg.maxIter });
  const x = res.x;
  return {
    pool, layers: L, dims: D, numClasses: C,
    layerWeights: softmax(x.subarray(offA, offA + L)),
    layerMean, layerStd, poolMean, poolStd,
    weights: x.slice(0, nW), bias: x.slice(offB, offB + C),
    iterations: res.iterations, loss: res.value,
  };
}

/** Predicted class of utterances `rows` of `s`. */
export function predictWeightedLayerProbe(p: WeightedLayerProbe, s: LayerStats, rows: number[]): Int32Array {
  const P = p.pool === 'mean' ? p.dims : 2 * p.dims, C = p.numClasses;
  const f = new Float64Array(P);
  return Int32Array.from(rows, (i) => {
    pooledAt(s, i, p.layerWeights, p.pool, p.layerMean, p.layerStd, f);
    let best = -Infinity, bk = 0;
    for (let k = 0; k < C; k++) {
      let v = p.bias[k];
      for (let q = 0; q < P; q++) v += p.weights[k * P + q] * ((f[q] - p.poolMean[q]) / p.poolStd[q]);
      if (v > best) {
        best = v;
        bk = k;
      }
    }
    return bk;
  });
}
