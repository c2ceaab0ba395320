import { paletteColor } from './colours.ts';
import type { LineSeries } from './line-chart.ts';

/**
 * Turns the rows of `metrics.jsonl` into the report's line charts:
 * - one chart per kind of metric: losses, accuracies, learning rate, gradient norm, training speed, then
 *   one chart for each other metric (perplexities, temperatures...); `epoch` and `tensors` are left to
 *   TensorBoard;
 * - validation values (`valid/<name>`) go in the chart of `<name>`, dashed, in the colour of the training
 *   series of the same name;
 * - series that are the same (same steps, values equal to 1e-6 relative: `loss` and `hubert/loss` when a
 *   run has one method of weight 1) are drawn once, labelled with all their names: `loss = hubert/loss`.
 */
export type MetricRow = Record<string, unknown>;

export interface MetricChart {
  /** A file-name-like id (`loss`, `lr`, `wav2vec2-code_perplexity`). */
  id: string;
  title: string;
  ylabel: string;
  series: LineSeries[];
  /** False for values that are not noisy (the learning rate): drawn as they are. */
  smooth: boolean;
}

interface Kind {
  id: string;
  title: string;
  ylabel: string;
  smooth?: boolean;
  test(name: string): boolean;
}

const KINDS: Kind[] = [
  { id: 'loss', title: 'Loss', ylabel: 'loss', test: (n) => /(^|\/|_)loss($|_|\/)/.test(n) },
  { id: 'accuracy', title: 'Accuracy', ylabel: 'accuracy', test: (n) => /(^|\/|_)acc/.test(n) },
  { id: 'lr', title: 'Learning rate', ylabel: 'learning rate', smooth: false, test: (n) => n === 'lr' },
  { id: 'grad_norm', title: 'Gradient norm (before clipping)', ylabel: 'global L2 norm', test: (n) => n === 'grad_norm' },
  { id: 'speed', title: 'Training speed', ylabel: 'updates per second', test: (n) => n === 'steps_per_s' },
];
const LEFT_OUT = new Set(['step', 'epoch', 'tensors', 'split']);

interface Raw {
  name: string;
  split: 'train' | 'valid';
  x: number[];
  y: number[];
}

function valueOf(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  // metrics.jsonl writes non-finite numbers as strings.
  if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') return Number(v);
  return undefined;
}

function collect(rows: MetricRow[]): Raw[] {
  const byKey = new Map<string, Raw>();
  for (const row of rows) {
    if (typeof row.step !== 'number') continue;
    for (const [k, v] of Object.entries(row)) {
      const y = valueOf(v);
      if (y === undefined || LEFT_OUT.has(k)) continue;
      const valid = k.startsWith('valid/');
      const name = valid ? k.slice(6) : k;
      if (LEFT_OUT.has(name)) continue;
      const key = `${valid ? 'valid' : 'train'}|${name}`;
      let s = byKey.get(key);
      if (!s) byKey.set(key, (s = { name, split: valid ? 'valid' : 'train', x: [], y: [] }));
      s.x.push(row.step);
      s.y.push(y);
    }
  }
  return [...byKey.values()];
}

function same(a: Raw, b: Raw): boolean {
  if (a.x.length !== b.x.length) return false;
  for (let i = 0; i < a.x.length; i++) {
    if (a.x[i] !== b.x[i]) return false;
    const [u, v] = [a.y[i], b.y[i]];
    if (Number.isNaN(u) && Number.isNaN(v)) continue;
    if (u === v) continue;
    if (!(Math.abs(u - v) <= 1e-6 * Math.max(Math.abs(u), Math.abs(v)))) return false;
  }
  return true;
}

/** Groups of identical series (in first-seen order), each a list of names. */
function mergeIdentical(series: Raw[]): { names: string[]; s: Raw }[] {
  const groups: { names: string[]; s: Raw }[] = [];
  for (const s of series) {
    const g = groups.find((x) => same(x.s, s));
    if (g) g.names.push(s.name);
    else groups.push({ names: [s.name], s });
  }
  return groups;
}

function kindOf(name: string): Kind {
  const k = KINDS.find((x) => x.test(name));
  if (k) return k;
  return { id: name.replace(/[^A-Za-z0-9_.-]+/g, '-'), title: name, ylabel: name.split('/').at(-1) ?? name, test: (n) => n === name };
}

export function metricCharts(rows: MetricRow[]): MetricChart[] {
  const raws = collect(rows);
  const charts = new Map<string, { kind: Kind; raws: Raw[] }>();
  for (const r of raws) {
    const kind = kindOf(r.name);
    let c = charts.get(kind.id);
    if (!c) charts.set(kind.id, (c = { kind, raws: [] }));
    c.raws.push(r);
  }
  const order = (id: string) => {
    const i = KINDS.findIndex((k) => k.id === id);
    return i < 0 ? KINDS.length : i;
  };
  return [...charts.values()]
    .sort((a, b) => order(a.kind.id) - order(b.kind.id))
    .map(({ kind, raws: rs }) => {
      const both = rs.some((r) => r.split === 'valid') && rs.some((r) => r.split === 'train');
      const train = mergeIdentical(rs.filter((r) => r.split === 'train'));
      const valid = mergeIdentical(rs.filter((r) => r.split === 'valid'));
      // A colour per name: validation groups take the colour of the training group holding their first name.
      const colourOf = new Map<string, string>();
      train.forEach((g, i) => g.names.forEach((n) => colourOf.set(n, paletteColor(i))));
      let next = train.length;
      // Each validation series right after the training series it pairs with, in the legend as in the chart.
      const ordered: ['train' | 'valid', { names: string[]; s: Raw }][] = [];
      const placed = new Set<{ names: string[]; s: Raw }>();
      for (const g of train) {
        ordered.push(['train', g]);
        for (const v of valid) if (!placed.has(v) && g.names.includes(v.names[0])) { ordered.push(['valid', v]); placed.add(v); }
      }
      for (const v of valid) if (!placed.has(v)) ordered.push(['valid', v]);
      const series: LineSeries[] = ordered.map(([split, g]) => {
        let color = colourOf.get(g.names[0]);
        if (!color) {
          color = paletteColor(next++);
          for (const n of g.names) colourOf.set(n, color);
        }
        const label = g.names.join(' = ') + (both ? (split === 'train' ? ' (train)' : ' (valid)') : split === 'valid' ? ' (valid)' : '');
        return { label, split, color, x: g.s.x, y: g.s.y };
      });
      return { id: kind.id, title: kind.title, ylabel: kind.ylabel, series, smooth: kind.smooth ?? true };
    });
}
