import { lbfgs, type LbfgsOptions } from './lbfgs.ts';

/**
 * A linear probe: multinomial logistic regression on standardised features (mean and standard deviation
 * from the training rows), trained to convergence with L-BFGS on mean cross-entropy + (l2 / 2) ||W||^2
 * (the bias is not penalised). Deterministic: zero initialisation, no sampling.
 */
export interface ProbeConfig {
  l2: number;
  maxIter: number;
}
export const PROBE_DEFAULTS: Readonly<ProbeConfig> = Object.freeze({ l2: 1e-3, maxIter: 500 });

export interface LinearProbe {
  dims: number;
  numClasses: number;
  mean: Float64Array;
  std: Float64Array;
  /** [numClasses, dims] row-major, for standardised inputs. */
  weights: Float64Array;
  bias: Float64Array;
  iterations: number;
  loss: number;
}

/** Rows [n, dims] and labels in [0, numClasses). */
export function trainLinearProbe(x: Float32Array, labels: Int32Array, dims: number, numClasses: number, partial: Partial<ProbeConfig> = {}): LinearProbe {
  const cfg = { ...PROBE_DEFAULTS, ...partial };
  const n = labels.length;
  if (n === 0) throw new Error('trainLinearProbe: no training rows');
  if (x.length !== n * dims) throw new Error(`trainLinearProbe: ${x.length} values for ${n} rows of ${dims}`);
  const mean = new Float64Array(dims), std = new Float64Array(dims);
  for (let i = 0; i < n; i++) for (let c = 0; c < dims; c++) mean[c] += x[i * dims + c] / n;
  for (let i = 0; i < n; i++) for (let c = 0; c < dims; c++) std[c] += (x[i * dims + c] - mean[c]) ** 2 / n;
  for (let c = 0; c < dims; c++) std[c] = std[c] > 1e-24 ? Math.sqrt(std[c]) : 1;
  const z = new Float64Array(n * dims);
  for (let i = 0; i < n; i++) for (let c = 0; c < dims; c++) z[i * dims + c] = (x[i * dims + c] - mean[c]) / std[c];

  const C = numClasses, D = dims;
  const objective = softmaxRegressionObjective(z, labels, D, C, cfg.l2);
  const opts: Partial<LbfgsOptions> = { maxIter: cfg.maxIter };
  const r = lbfgs(objective, new Float64Array(C * D + C), opts);
  return { dims, numClasses, mean, std, weights: r.x.slice(0, C * D), bias: r.x.slice(C * D), iterations: r.iterations, loss: r.value };
}

/** Predicted class of each row. */
export function predictLinearProbe(p: LinearProbe, x: Float32Array): Int32Array {
  const D = p.dims, C = p.numClasses;
  const n = Math.floor(x.length / D);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = -Infinity, bk = 0;
    for (let k = 0; k < C; k++) {
      let s = p.bias[k];
      for (let c = 0; c < D; c++) s += p.weights[k * D + c] * ((x[i * D + c] - p.mean[c]) / p.std[c]);
      if (s > best) {
        best = s;
        bk = k;
      }
    }
    out[i] = bk;
  }
  return out;
}

export function accuracy(pred: ArrayLike<number>, truth: ArrayLike<number>): number {
  if (pred.length === 0) return NaN;
  let ok = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === truth[i]) ok++;
  return ok / pred.length;
}

/**
 * The probe's objective on standardised rows `z` [n, D]: parameters [W (C x D, row-major), b (C)];
 * value = mean cross-entropy of softmax(W z + b) + (l2 / 2) ||W||^2; writes the gradient into `grad`.
 */
export function softmaxRegressionObjective(z: Float64Array, labels: Int32Array, D: number, C: number, l2: number): (w: Float64Array, grad: Float64Array) => number {
  const n = labels.length;
  const logits = new Float64Array(C);
  return (w, grad) => {
    grad.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      let max = -Infinity;
      for (let k = 0; k < C; k++) {
        let s = w[C * D + k];
        for (let c = 0; c < D; c++) s += w[k * D + c] * z[i * D + c];
        logits[k] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let k = 0; k < C; k++) sum += Math.exp(logits[k] - max);
      const logSum = max + Math.log(sum);
      loss += logSum - logits[labels[i]];
      for (let k = 0; k < C; k++) {
        const r = (Math.exp(logits[k] - logSum) - (k === labels[i] ? 1 : 0)) / n;
        grad[C * D + k] += r;
        for (let c = 0; c < D; c++) grad[k * D + c] += r * z[i * D + c];
      }
    }
    loss /= n;
    for (let j = 0; j < C * D; j++) {
      loss += 0.5 * l2 * w[j] * w[j];
      grad[j] += l2 * w[j];
    }
    return loss;
  };
}
