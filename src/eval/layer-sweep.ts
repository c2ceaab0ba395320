import { evaluateProbeFolds, type FoldSummary } from './fold-evaluation.ts';
import { accuracy, type ProbeConfig } from './linear-probe.ts';
import { poolUtterances, pooledDims, type Pooling } from './pooling.ts';
import { layerStats, trainWeightedLayerProbe, predictWeightedLayerProbe } from './weighted-layer-probe.ts';
import { formatTable } from './eval-corpus.ts';
import type { Fold } from './utterance-fields.ts';

/**
 * A probe per hidden layer and the SUPERB weighted sum of all of them, in one pass over features whose
 * frames hold the layers side by side ([frames, L * D], as `speech-ssl extract --layer all` writes them),
 * for each pooling asked for.
 */
export interface LayerSweepRow {
  /** `layer N` (hidden state N) or `weighted sum`. */
  what: string;
  pool: Pooling;
  summary: FoldSummary;
  /** Weighted-sum rows: the softmax layer weights, averaged over the folds. */
  layerWeights?: number[];
}

export interface LayerSweepOptions {
  /** Hidden-state number of each block (for the table); default 0..L-1. */
  layerIds?: number[];
  /** Blocks to probe one by one (indices into the L blocks); default all. */
  sweep?: number[];
  /** Add the weighted sum over all L blocks. */
  weightedSum: boolean;
  probe?: Partial<ProbeConfig>;
  /** Progress lines (one per probe). */
  log?: (line: string) => void;
}

export function layerSweep(utts: Float32Array[], layers: number, dims: number, labels: Int32Array, numClasses: number, folds: Fold[], pools: Pooling[], o: LayerSweepOptions): LayerSweepRow[] {
  const ids = o.layerIds ?? Array.from({ length: layers }, (_, l) => l);
  const sweep = o.sweep ?? ids.map((_, l) => l);
  const rows: LayerSweepRow[] = [];
  for (const pool of pools) {
    for (const l of sweep) {
      const x = poolUtterances(utts, pool, dims, { stride: layers * dims, offset: l * dims });
      const summary = evaluateProbeFolds(x, labels, pooledDims(pool, dims), numClasses, folds, o.probe);
      rows.push({ what: `layer ${ids[l]}`, pool, summary });
      o.log?.(`layer ${ids[l]}, ${pool} pooling: ${(100 * summary.mean.probe).toFixed(1)}%`);
    }
    if (o.weightedSum) {
      const stats = layerStats(utts, layers, dims, pool === 'mean+std');
      const weights = new Float64Array(layers);
      const foldAcc = folds.map((f) => {
        const p = trainWeightedLayerProbe(stats, f.train, Int32Array.from(f.train, (i) => labels[i]), numClasses, pool, o.probe);
        p.layerWeights.forEach((w, l) => (weights[l] += w / folds.length));
        const pred = predictWeightedLayerProbe(p, stats, f.test);
        return { fold: f.name, train: f.train.length, test: f.test.length, accuracy: { probe: accuracy(pred, f.test.map((i) => labels[i])) } };
      });
      const tests = foldAcc.reduce((a, f) => a + f.test, 0);
      const summary: FoldSummary = {
        folds: foldAcc,
        mean: { probe: foldAcc.reduce((a, f) => a + f.accuracy.probe, 0) / foldAcc.length },
        pooled: { probe: foldAcc.reduce((a, f) => a + f.accuracy.probe * f.test, 0) / tests },
      };
      rows.push({ what: 'weighted sum', pool, summary, layerWeights: Array.from(weights) });
      o.log?.(`weighted sum, ${pool} pooling: ${(100 * summary.mean.probe).toFixed(1)}% (layer weights ${Array.from(weights, (w) => w.toFixed(2)).join(' ')})`);
    }
  }
  return rows;
}

/** Accuracy by layer: one row per (layer, pooling), a column per fold, the mean and the pooled accuracy. */
export function layerSweepTable(rows: LayerSweepRow[]): string {
  const folds = rows[0]?.summary.folds.map((f) => f.fold) ?? [];
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  return formatTable(
    ['features', 'pool', ...folds, 'mean', 'pooled', 'layer weights'],
    rows.map((r) => [r.what, r.pool, ...r.summary.folds.map((f) => pct(f.accuracy.probe)), pct(r.summary.mean.probe), pct(r.summary.pooled.probe), r.layerWeights ? r.layerWeights.map((w) => w.toFixed(2)).join(' ') : '']),
  );
}
