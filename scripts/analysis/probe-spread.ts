/**
 * Standard errors of the leave-one-speaker-out digit probe, from `eval probe --out X.json` files, so that
 * a difference between two configurations can be read against the probe's own noise. Each argument is
 * `NAME=FILE[,FILE...]`: one configuration, one probe JSON per training seed. Prints per configuration
 * and pooling the mean over folds of each seed, the mean over seeds, the standard error across seeds
 * (sample std / sqrt(seeds), when there are 2 or more), the standard error across the four folds
 * (std of the fold accuracies / sqrt(folds), averaged over seeds) and the binomial standard error of
 * the pooled accuracy (sqrt(p (1 - p) / clips)). With two or more configurations, each against the
 * first: the difference of the means, and the standard error of the fold-paired difference (the same
 * held-out speaker in both; std over folds of the per-fold difference of the seed means / sqrt(folds))
 * and, when both have 2 or more seeds, the standard error of the difference across seeds
 * (sqrt(SE_a^2 + SE_b^2) of the two seed-mean standard errors).
 *
 *   node --import tsx scripts/analysis/probe-spread.ts hubert=a1.json,a2.json,a3.json joint=b1.json,b2.json
 */
import { readFileSync } from 'node:fs';

interface ProbeJson {
  folds: { fold: string; test: number; accuracy: Record<string, number> }[];
}

const POOLS = ['probe', 'probe mean+std'];
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const sd = (v: number[]) => {
  const m = mean(v);
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
};
const pct = (v: number) => (Math.round(1000 * v + 1e-9) / 10).toFixed(1);  // half up, as the tables

function read(file: string): ProbeJson {
  const j = JSON.parse(readFileSync(file, 'utf8')) as ProbeJson;
  if (!Array.isArray(j.folds) || j.folds.length < 2) throw new Error(`${file}: expected a probe JSON with folds (eval probe --out)`);
  return j;
}

const configs = process.argv.slice(2).map((arg) => {
  const at = arg.indexOf('=');
  if (at <= 0) throw new Error(`expected NAME=FILE[,FILE...], got "${arg}"`);
  return { name: arg.slice(0, at), runs: arg.slice(at + 1).split(',').map(read) };
});
if (configs.length === 0) throw new Error('usage: probe-spread.ts NAME=FILE[,FILE...] ...');

/** Per pooling: the fold accuracies of each seed, [seed][fold]. */
function foldAcc(runs: ProbeJson[], pool: string): number[][] {
  return runs.map((r) => r.folds.map((f) => f.accuracy[pool]));
}

for (const pool of POOLS) {
  console.log(`\n${pool === 'probe' ? 'mean' : 'mean+std'} pooling`);
  const base = foldAcc(configs[0].runs, pool);
  for (const c of configs) {
    const acc = foldAcc(c.runs, pool);
    const seedMeans = acc.map(mean);
    const m = mean(seedMeans);
    const clips = c.runs[0].folds.reduce((a, f) => a + f.test, 0);
    const seSeeds = seedMeans.length > 1 ? `${pct(sd(seedMeans) / Math.sqrt(seedMeans.length))}` : '-';
    const seFolds = mean(acc.map((a) => sd(a) / Math.sqrt(a.length)));
    let line = `${c.name.padEnd(28)} seeds ${seedMeans.map(pct).join(' / ')}  mean ${pct(m)}%  SE seeds ${seSeeds}  SE folds ${pct(seFolds)}  SE binomial ${pct(Math.sqrt((m * (1 - m)) / clips))}`;
    if (c !== configs[0]) {
      const folds = acc[0].length;
      const diff = Array.from({ length: folds }, (_, f) => mean(acc.map((a) => a[f])) - mean(base.map((a) => a[f])));
      line += `  vs ${configs[0].name}: ${mean(diff) >= 0 ? '+' : ''}${pct(mean(diff))} (paired-fold SE ${pct(sd(diff) / Math.sqrt(folds))}`;
      const baseMeans = base.map(mean);
      if (seedMeans.length > 1 && baseMeans.length > 1) {
        line += `, seed SE ${pct(Math.sqrt(sd(seedMeans) ** 2 / seedMeans.length + sd(baseMeans) ** 2 / baseMeans.length))}`;
      }
      line += ')';
    }
    console.log(line);
  }
}
