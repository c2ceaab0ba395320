import { trainLinearProbe, predictLinearProbe, accuracy, type ProbeConfig } from './linear-probe.ts';
import { knnPredict } from './knn.ts';
import { takeRows } from './eval-corpus.ts';
import type { Fold } from './utterance-fields.ts';

/** Probe and kNN accuracy over folds (leave-one-group-out or a fixed split) of pooled features. */
export interface FoldAccuracy {
  fold: string;
  train: number;
  test: number;
  /** Accuracy per method column (probe: "probe"; kNN: "k=20", "k=200"). */
  accuracy: Record<string, number>;
}

export interface FoldSummary {
  folds: FoldAccuracy[];
  /** Mean of the fold accuracies, per column. */
  mean: Record<string, number>;
  /** Correct over all test rows of all folds, per column. */
  pooled: Record<string, number>;
}

function summarise(folds: FoldAccuracy[]): FoldSummary {
  const cols = Object.keys(folds[0]?.accuracy ?? {});
  const mean: Record<string, number> = {}, pooled: Record<string, number> = {};
  for (const c of cols) {
    mean[c] = folds.reduce((a, f) => a + f.accuracy[c], 0) / folds.length;
    const tests = folds.reduce((a, f) => a + f.test, 0);
    pooled[c] = folds.reduce((a, f) => a + f.accuracy[c] * f.test, 0) / tests;
  }
  return { folds, mean, pooled };
}

function checkFold(f: Fold): void {
  if (f.train.length === 0 || f.test.length === 0) throw new Error(`fold ${f.name}: empty ${f.train.length === 0 ? 'training' : 'test'} set`);
}

export function evaluateProbeFolds(x: Float32Array, labels: Int32Array, dims: number, numClasses: number, folds: Fold[], cfg: Partial<ProbeConfig> = {}): FoldSummary {
  return summarise(
    folds.map((f) => {
      checkFold(f);
      const probe = trainLinearProbe(takeRows(x, dims, f.train), Int32Array.from(f.train, (i) => labels[i]), dims, numClasses, cfg);
      const pred = predictLinearProbe(probe, takeRows(x, dims, f.test));
      return { fold: f.name, train: f.train.length, test: f.test.length, accuracy: { probe: accuracy(pred, f.test.map((i) => labels[i])) } };
    }),
  );
}

export function evaluateKnnFolds(x: Float32Array, labels: Int32Array, dims: number, numClasses: number, folds: Fold[], ks: number[], temperature: number): FoldSummary {
  return summarise(
    folds.map((f) => {
      checkFold(f);
      const preds = knnPredict(takeRows(x, dims, f.train), Int32Array.from(f.train, (i) => labels[i]), takeRows(x, dims, f.test), dims, numClasses, ks, temperature);
      const truth = f.test.map((i) => labels[i]);
      const acc: Record<string, number> = {};
      ks.forEach((k, i) => (acc[`k=${k}`] = accuracy(preds[i], truth)));
      return { fold: f.name, train: f.train.length, test: f.test.length, accuracy: acc };
    }),
  );
}
