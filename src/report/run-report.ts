import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNpy } from '../util/npy.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { InputError } from '../util/errors.ts';
import { linePlot, barPlot, scatterPlot, heatmapWithIds, type Series } from './plots.ts';
import { pcaProject } from './pca.ts';

/**
 * A run's report: `report.html` (offline, no scripts) plus PNG plots beside it, regenerated from what the
 * run folder holds:
 * - `metrics.jsonl` (the Trainer's log; numeric fields per step): loss curves, learning rate, accuracies;
 * - `report/clusters.json` `{counts: number[]}`: cluster usage histogram;
 * - `report/embeddings.npy` [n, d] + `report/embeddings.json` `{labels: string[]}`: 2-D PCA by label;
 * - `report/example.npy` [frames, mels] log-mel + `report/example.json` `{name, ids: number[]}`: one
 *   utterance with its cluster ids beneath.
 * Missing inputs are skipped with a note in the page; a run folder with none of them is an error.
 */
export interface ReportResult {
  html: string;
  pngs: string[];
  notes: string[];
}

type MetricRow = Record<string, unknown>;

export function readMetrics(file: string): MetricRow[] {
  const rows: MetricRow[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      try {
        rows.push(JSON.parse(line) as MetricRow);
      } catch {
        throw new InputError(`line ${i + 1} is not JSON`, { file });
      }
    });
  return rows;
}

function seriesFor(rows: MetricRow[], keep: (key: string) => boolean): Series[] {
  const byKey = new Map<string, Series>();
  for (const row of rows) {
    const step = row.step;
    if (typeof step !== 'number') continue;
    for (const [k, v] of Object.entries(row)) {
      if (k === 'step' || typeof v !== 'number' || !keep(k)) continue;
      let s = byKey.get(k);
      if (!s) byKey.set(k, (s = { name: k, x: [], y: [] }));
      s.x.push(step);
      s.y.push(v);
    }
  }
  return [...byKey.values()];
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
}

export function writeRunReport(runDir: string, title = 'speech-ssl run'): ReportResult {
  const pngs: string[] = [];
  const notes: string[] = [];
  const sections: string[] = [];
  const put = (name: string, png: Buffer, caption: string) => {
    writeFileAtomic(join(runDir, name), png);
    pngs.push(name);
    sections.push(`<figure><img src="${name}" alt="${escapeHtml(caption)}"><figcaption>${escapeHtml(caption)}</figcaption></figure>`);
  };
  let summary: MetricRow = {};
  const metricsFile = join(runDir, 'metrics.jsonl');
  if (existsSync(metricsFile)) {
    const rows = readMetrics(metricsFile);
    summary = rows.filter((r) => typeof r.step === 'number' && r.split !== 'valid').at(-1) ?? {};
    const loss = seriesFor(rows, (k) => /loss/i.test(k));
    if (loss.length) put('loss.png', linePlot(loss, { title: 'Loss', xlabel: 'step' }), 'Training (and validation) losses by step');
    const lr = seriesFor(rows, (k) => k === 'lr');
    if (lr.length) put('lr.png', linePlot(lr, { title: 'Learning rate', xlabel: 'step' }), 'Learning rate schedule');
    const acc = seriesFor(rows, (k) => /acc/i.test(k));
    if (acc.length) put('accuracy.png', linePlot(acc, { title: 'Accuracy', xlabel: 'step' }), 'Masked / contrastive accuracy by step');
  } else notes.push('no metrics.jsonl: loss, learning-rate and accuracy curves skipped');

  const rep = join(runDir, 'report');
  if (existsSync(join(rep, 'clusters.json'))) {
    const { counts } = JSON.parse(readFileSync(join(rep, 'clusters.json'), 'utf8')) as { counts: number[] };
    const used = counts.filter((c) => c > 0).length;
    put('clusters.png', barPlot(counts, { title: `Cluster usage (${used}/${counts.length} used)`, xlabel: 'cluster id', ylabel: 'frames' }), 'Frames per cluster id');
  } else notes.push('no report/clusters.json: cluster usage histogram skipped');

  if (existsSync(join(rep, 'embeddings.npy')) && existsSync(join(rep, 'embeddings.json'))) {
    const e = readNpy(join(rep, 'embeddings.npy'));
    const { labels } = JSON.parse(readFileSync(join(rep, 'embeddings.json'), 'utf8')) as { labels: string[] };
    const [n, d] = e.shape;
    if (labels.length !== n) throw new InputError(`${labels.length} labels for ${n} embeddings`, { file: join(rep, 'embeddings.json') });
    const names = [...new Set(labels)].sort();
    const proj = pcaProject(Float32Array.from(e.data as Float32Array), n, d, 2);
    put('pca.png', scatterPlot(proj, labels.map((l) => names.indexOf(l)), names, { title: 'Embeddings, first two principal components', xlabel: 'PC1' }), 'Mean-pooled embeddings projected by PCA, coloured by label');
  } else notes.push('no report/embeddings.npy: PCA plot skipped');

  if (existsSync(join(rep, 'example.npy')) && existsSync(join(rep, 'example.json'))) {
    const m = readNpy(join(rep, 'example.npy'));
    const meta = JSON.parse(readFileSync(join(rep, 'example.json'), 'utf8')) as { name?: string; ids?: number[] };
    const [frames, mels] = m.shape;
    const t = new Float32Array(frames * mels);
    const src = m.data as Float32Array;
    for (let f = 0; f < frames; f++) for (let k = 0; k < mels; k++) t[k * frames + f] = src[f * mels + k];
    put('example.png', heatmapWithIds(t, mels, frames, meta.ids ?? null, { title: `Log-mel and cluster ids: ${meta.name ?? ''}` }), `Log-mel spectrogram of ${meta.name ?? 'one utterance'} with its cluster ids beneath`);
  } else notes.push('no report/example.npy: example utterance skipped');

  if (pngs.length === 0) throw new InputError('nothing to report: no metrics.jsonl and no report/ artifacts', { file: runDir });
  const rows = Object.entries(summary)
    .filter(([, v]) => typeof v === 'number' || typeof v === 'string')
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(typeof v === 'number' ? String(Number(v.toPrecision(5))) : String(v))}</td></tr>`)
    .join('');
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;max-width:860px;margin:2em auto;color:#222}figure{margin:1.5em 0}img{max-width:100%;border:1px solid #ddd}table{border-collapse:collapse}th,td{padding:2px 10px;text-align:left;border-bottom:1px solid #eee}</style>
</head><body><h1>${escapeHtml(title)}</h1><p>Run folder: <code>${escapeHtml(runDir)}</code></p>
${rows ? `<h2>Last logged step</h2><table>${rows}</table>` : ''}
${sections.join('\n')}
${notes.length ? `<h2>Skipped</h2><ul>${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : ''}
</body></html>\n`;
  writeFileAtomic(join(runDir, 'report.html'), html);
  return { html: join(runDir, 'report.html'), pngs, notes };
}
