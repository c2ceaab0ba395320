import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNpy } from '../util/npy.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { InputError } from '../util/errors.ts';
import { pcaProject } from './pca.ts';
import { esc } from './svg.ts';
import { lineChart } from './line-chart.ts';
import { barChart, heatmapChart, scatterChart } from './charts.ts';
import { metricCharts, type MetricRow } from './metric-charts.ts';

/**
 * A run's report: one self-contained `report.html` (no scripts, no external files; the charts are inline
 * SVG), regenerated from what the run folder holds:
 * - `metrics.jsonl` (the Trainer's log): loss, accuracy, learning-rate... curves by step, training and
 *   validation together, identical series drawn once, training curves smoothed (switchable);
 * - `report/clusters.json` `{counts: number[]}`: cluster usage;
 * - `report/embeddings.npy` [n, d] + `report/embeddings.json` `{labels: string[]}`: 2-D PCA by label;
 * - `report/example.npy` [frames, mels] log-mel + `report/example.json` `{name, ids: number[]}`: one
 *   utterance with its cluster ids beneath.
 * Missing inputs are skipped with a note in the page; a run folder with none of them is an error.
 * The page is written atomically, so a browser reloading it during training never sees half a page.
 */
export interface ReportOptions {
  /** Moving-average weight of the training curves, in [0, 1) (TensorBoard's slider; default 0.6). */
  smoothing?: number;
  /** Reload the page every N seconds (the live page written during training); 0 = never (default). */
  refreshSeconds?: number;
}

export interface ReportResult {
  html: string;
  /** Titles of the charts drawn. */
  charts: string[];
  notes: string[];
}

export const DEFAULT_SMOOTHING = 0.6;

export function readMetrics(file: string): MetricRow[] {
  const rows: MetricRow[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      rows.push(JSON.parse(line) as MetricRow);
    } catch {
      // The last line of a log being appended to may be cut short; any other is an error.
      if (lines.slice(i + 1).some((l) => l.trim())) throw new InputError(`line ${i + 1} is not JSON`, { file });
    }
  });
  return rows;
}

function fmt(v: unknown): string {
  if (typeof v === 'number') {
    if (Number.isInteger(v) || !Number.isFinite(v)) return String(v);
    return Math.abs(v) < 1e-3 ? v.toExponential(3) : String(Number(v.toPrecision(5)));
  }
  return typeof v === 'string' ? v : '';
}

/** The last training and validation rows side by side. */
function summaryTable(rows: MetricRow[]): string {
  const train = rows.filter((r) => typeof r.step === 'number' && r.split !== 'valid').at(-1);
  const valid = rows.filter((r) => typeof r.step === 'number' && r.split === 'valid').at(-1);
  if (!train && !valid) return '';
  const names = new Set<string>();
  for (const k of Object.keys(train ?? {})) if (k !== 'split' && k !== 'step') names.add(k);
  for (const k of Object.keys(valid ?? {})) if (k !== 'split' && k !== 'step') names.add(k.replace(/^valid\//, ''));
  const body = [...names]
    .map((n) => `<tr><th>${esc(n)}</th><td>${esc(fmt(train?.[n]))}</td><td>${esc(fmt(valid?.[`valid/${n}`]))}</td></tr>`)
    .join('');
  const head = `<tr><th>metric</th><th>train${train ? ` (step ${fmt(train.step)})` : ''}</th><th>valid${valid ? ` (step ${fmt(valid.step)})` : ''}</th></tr>`;
  return `<table class="summary"><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

const STYLE = `body{font-family:'DejaVu Sans',Verdana,Arial,Helvetica,sans-serif;max-width:800px;margin:1.5em auto;padding:0 12px;color:#222}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd;padding-bottom:.2em}
.meta{color:#555;font-size:.9em;margin-top:0}figure{margin:1em 0}figcaption{color:#555;font-size:.85em}
svg.chart{max-width:100%;height:auto;display:block;background:#fff}
table{border-collapse:collapse;font-size:.9em;max-width:100%}th,td{padding:2px 12px;text-align:left;border-bottom:1px solid #eee;overflow-wrap:anywhere}td{font-variant-numeric:tabular-nums}
label.switch{font-size:.9em;color:#333}
#smooth:checked~main .raw{stroke-opacity:.25}#smooth:not(:checked)~main .smoothed{display:none}`;

export function writeRunReport(runDir: string, title = 'speech-ssl run', options: ReportOptions = {}): ReportResult {
  const smoothing = options.smoothing ?? DEFAULT_SMOOTHING;
  if (!(smoothing >= 0 && smoothing < 1)) throw new InputError(`${smoothing}: expected a number in [0, 1)`, { field: 'smoothing' });
  const charts: string[] = [];
  const notes: string[] = [];
  const curves: string[] = [];
  const more: string[] = [];
  const figure = (to: string[], id: string, svg: string, title: string, caption?: string) => {
    charts.push(title);
    to.push(`<figure id="chart-${esc(id)}">${svg}${caption ? `<figcaption>${esc(caption)}</figcaption>` : ''}</figure>`);
  };
  let rows: MetricRow[] = [];
  const metricsFile = join(runDir, 'metrics.jsonl');
  if (existsSync(metricsFile)) {
    rows = readMetrics(metricsFile);
    for (const c of metricCharts(rows)) figure(curves, c.id, lineChart(c.series, { title: c.title, ylabel: c.ylabel, smoothing: c.smooth ? smoothing : 0 }), c.title);
    if (curves.length === 0) notes.push('metrics.jsonl holds no numeric values yet');
  } else notes.push('no metrics.jsonl: training curves skipped');

  const rep = join(runDir, 'report');
  if (existsSync(join(rep, 'clusters.json'))) {
    const { counts } = JSON.parse(readFileSync(join(rep, 'clusters.json'), 'utf8')) as { counts: number[] };
    const used = counts.filter((c) => c > 0).length;
    const total = counts.reduce((a, b) => a + b, 0);
    figure(more, 'clusters', barChart(counts, { title: `Cluster usage (${used} of ${counts.length} ids used)`, xlabel: 'cluster id', ylabel: 'frames' }), 'Cluster usage', `Frames per cluster id over ${total} frames.`);
  } else notes.push('no report/clusters.json: cluster usage skipped (speech-ssl report --km adds it)');

  if (existsSync(join(rep, 'embeddings.npy')) && existsSync(join(rep, 'embeddings.json'))) {
    const e = readNpy(join(rep, 'embeddings.npy'));
    const { labels } = JSON.parse(readFileSync(join(rep, 'embeddings.json'), 'utf8')) as { labels: string[] };
    const [n, d] = e.shape;
    if (labels.length !== n) throw new InputError(`${labels.length} labels for ${n} embeddings`, { file: join(rep, 'embeddings.json') });
    const names = [...new Set(labels)].sort();
    const proj = pcaProject(Float32Array.from(e.data as Float32Array), n, d, 2);
    figure(more, 'pca', scatterChart(proj, labels.map((l) => names.indexOf(l)), names, { title: 'Embeddings: first two principal components', xlabel: 'PC 1', ylabel: 'PC 2' }), 'Embeddings', `Mean-pooled features of ${n} utterances, projected by PCA, coloured by label.`);
  } else notes.push('no report/embeddings.npy: PCA plot skipped (speech-ssl report --embeddings adds it)');

  if (existsSync(join(rep, 'example.npy')) && existsSync(join(rep, 'example.json'))) {
    const m = readNpy(join(rep, 'example.npy'));
    const meta = JSON.parse(readFileSync(join(rep, 'example.json'), 'utf8')) as { name?: string; ids?: number[] };
    const [frames, mels] = m.shape;
    const t = new Float32Array(frames * mels);
    const src = m.data as Float32Array;
    for (let f = 0; f < frames; f++) for (let k = 0; k < mels; k++) t[k * frames + f] = src[f * mels + k];
    const name = meta.name ?? 'one utterance';
    figure(more, 'example', heatmapChart(t, mels, frames, meta.ids ?? null, { title: `Log-mel spectrogram: ${name}`, xlabel: 'frame', ylabel: 'mel bin' }), 'Example utterance', meta.ids ? 'Cluster id of each frame beneath.' : undefined);
  } else notes.push('no report/example.npy: example utterance skipped (speech-ssl report --example adds it)');

  if (charts.length === 0 && rows.length === 0) throw new InputError('nothing to report: no metrics.jsonl and no report/ artifacts', { file: runDir });
  const last = rows.filter((r) => typeof r.step === 'number').at(-1);
  const refresh = options.refreshSeconds ? `<meta http-equiv="refresh" content="${Math.round(options.refreshSeconds)}">` : '';
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">${refresh}
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head><body>
<h1>${esc(title)}</h1>
<p class="meta">Run folder <code>${esc(runDir)}</code>${last ? ` · step ${fmt(last.step)}` : ''} · written ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}${refresh ? ` · training: reloads every ${Math.round(options.refreshSeconds ?? 0)} s` : ''}</p>
${curves.length && smoothing > 0 ? `<input type="checkbox" id="smooth" checked> <label class="switch" for="smooth">smooth the training curves (moving average, weight ${smoothing}; raw values faint)</label>` : ''}
<main>
${curves.length ? `<h2>Training curves</h2>\n${curves.join('\n')}` : ''}
${rows.length ? `<h2>Last logged values</h2>\n${summaryTable(rows)}` : ''}
${more.length ? `<h2>Clusters and representations</h2>\n${more.join('\n')}` : ''}
${notes.length ? `<h2>Not shown</h2><ul>${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
</main>
</body></html>
`;
  writeFileAtomic(join(runDir, 'report.html'), html);
  return { html: join(runDir, 'report.html'), charts, notes };
}
