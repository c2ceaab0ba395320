import { chartFrame, num, esc, type LegendItem } from './svg.ts';
import { emaSmooth } from './smoothing.ts';

/**
 * A line chart of metric series against the step. Training series are solid; with smoothing > 0 the raw
 * values are drawn faint (class `raw`) under their TensorBoard-style moving average (class `smoothed`),
 * and the page's smoothing switch hides the average and shows the raw values at full strength.
 * Validation series are dashed with a dot per value (they are few and not smoothed). Non-finite values
 * break the line.
 */
export interface LineSeries {
  label: string;
  x: number[];
  y: number[];
  split: 'train' | 'valid';
  color: string;
}

export interface LineChartOptions {
  title: string;
  xlabel?: string;
  ylabel: string;
  /** Moving-average weight in [0, 1) for training series; 0 draws the raw values only. */
  smoothing?: number;
  logY?: boolean;
  width?: number;
  plotHeight?: number;
}

function finiteRange(values: number[], positiveOnly: boolean): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) if (Number.isFinite(v) && (!positiveOnly || v > 0)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (lo === Infinity) return [0, 1];
  if (lo === hi) {
    const pad = Math.abs(lo) * 0.05 || 0.5;
    return positiveOnly ? [lo / 2, hi * 2] : [lo - pad, hi + pad];
  }
  if (positiveOnly) return [lo, hi];
  const pad = (hi - lo) * 0.04;
  return [lo - pad, hi + pad];
}

/** Path data for the finite points, a new subpath after each gap. */
function pathData(x: number[], y: number[], px: (v: number) => number, py: (v: number) => number): string {
  let d = '';
  let pen = false;
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(y[i]) || !Number.isFinite(x[i])) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${num(px(x[i]))},${num(py(y[i]))}`;
    pen = true;
  }
  return d;
}

/**
 * At most about `max` points of a long series for drawing: the first and last points and, in each of
 * max/2 runs of consecutive points, the lowest and highest (in step order), so spikes stay visible.
 */
export function thinPoints(x: number[], y: number[], max = 1500): { x: number[]; y: number[] } {
  if (x.length <= max) return { x, y };
  const buckets = Math.floor(max / 2);
  const keep = new Set<number>([0, x.length - 1]);
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor((b * x.length) / buckets), to = Math.floor(((b + 1) * x.length) / buckets);
    let lo = -1, hi = -1;
    for (let i = from; i < to; i++) {
      if (!Number.isFinite(y[i])) {
        keep.add(i);
        continue;
      }
      if (lo < 0 || y[i] < y[lo]) lo = i;
      if (hi < 0 || y[i] > y[hi]) hi = i;
    }
    if (lo >= 0) keep.add(lo).add(hi);
  }
  const idx = [...keep].sort((a, b) => a - b);
  return { x: idx.map((i) => x[i]), y: idx.map((i) => y[i]) };
}

export function lineChart(series: LineSeries[], o: LineChartOptions): string {
  const smoothing = o.smoothing ?? 0;
  const xs = series.flatMap((s) => s.x);
  const [xlo, xhi] = finiteRange(xs, false);
  const xMin = Math.min(...xs.filter(Number.isFinite)), xMax = Math.max(...xs.filter(Number.isFinite));
  const xRange: [number, number] = Number.isFinite(xMin) && xMax > xMin ? [xMin, xMax] : [xlo, xhi];
  const yRange = finiteRange(series.flatMap((s) => s.y), Boolean(o.logY));
  const legend: LegendItem[] = series.map((s) => ({ label: s.label, color: s.color, swatch: s.split === 'valid' ? 'dashed' : 'line' }));
  const f = chartFrame({ title: o.title, xlabel: o.xlabel ?? 'step', ylabel: o.ylabel, xRange, yRange, legend: series.length > 1 ? legend : [], logY: o.logY, width: o.width, plotHeight: o.plotHeight });
  const body: string[] = [];
  for (const s of series) {
    const title = `<title>${esc(s.label)}</title>`;
    if (s.split === 'valid') {
      body.push(`<g class="series valid" data-label="${esc(s.label)}">${title}<path d="${pathData(s.x, s.y, f.px, f.py)}" fill="none" stroke="${s.color}" stroke-width="2" stroke-dasharray="6 4"/>`);
      s.x.forEach((x, i) => {
        if (Number.isFinite(s.y[i])) body.push(`<circle cx="${num(f.px(x))}" cy="${num(f.py(s.y[i]))}" r="3" fill="${s.color}"/>`);
      });
      body.push('</g>');
      continue;
    }
    const t = thinPoints(s.x, s.y);
    const raw = pathData(t.x, t.y, f.px, f.py);
    const single = s.x.length === 1 && Number.isFinite(s.y[0]) ? `<circle cx="${num(f.px(s.x[0]))}" cy="${num(f.py(s.y[0]))}" r="3" fill="${s.color}"/>` : '';
    if (smoothing > 0 && s.y.length > 2) {
      const sm = thinPoints(s.x, emaSmooth(s.y, smoothing));
      const smooth = pathData(sm.x, sm.y, f.px, f.py);
      body.push(
        `<g class="series train" data-label="${esc(s.label)}">${title}<path class="raw" d="${raw}" fill="none" stroke="${s.color}" stroke-width="1.5"/>` +
          `<path class="smoothed" d="${smooth}" fill="none" stroke="${s.color}" stroke-width="2.2"/></g>`,
      );
    } else body.push(`<g class="series train" data-label="${esc(s.label)}">${title}<path d="${raw}" fill="none" stroke="${s.color}" stroke-width="2"/>${single}</g>`);
  }
  return f.finish(body.join(''));
}
