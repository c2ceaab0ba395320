import { Raster, paletteColor, heatColor, type RGB } from './raster.ts';

/** Plots drawn into PNG bytes with no font files or canvas: line, bar, scatter and heat-map. */
export interface Series {
  name: string;
  x: number[];
  y: number[];
}
export interface PlotOptions {
  title: string;
  xlabel?: string;
  ylabel?: string;
  width?: number;
  height?: number;
  logY?: boolean;
}

const MARGIN = { left: 70, right: 20, top: 34, bottom: 44 };
const AXIS: RGB = [40, 40, 40];
const GRID: RGB = [225, 225, 225];

/** "Nice" tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function tickLabel(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

interface Frame {
  r: Raster;
  px(x: number): number;
  py(y: number): number;
}

function frame(o: PlotOptions, xr: [number, number], yr: [number, number], xTicks = true): Frame {
  const W = o.width ?? 640, H = o.height ?? 360;
  const r = new Raster(W, H);
  const x0 = MARGIN.left, x1 = W - MARGIN.right, y0 = H - MARGIN.bottom, y1 = MARGIN.top;
  const sy = (v: number) => (o.logY ? Math.log10(Math.max(v, 1e-12)) : v);
  const [ylo, yhi] = [sy(yr[0]), sy(yr[1])];
  const px = (x: number) => x0 + ((x - xr[0]) / (xr[1] - xr[0] || 1)) * (x1 - x0);
  const py = (y: number) => y0 - ((sy(y) - ylo) / (yhi - ylo || 1)) * (y0 - y1);
  for (const t of niceTicks(ylo, yhi)) {
    const yy = y0 - ((t - ylo) / (yhi - ylo || 1)) * (y0 - y1);
    r.line(x0, yy, x1, yy, GRID);
    const label = o.logY ? `1E${t}` : tickLabel(t);
    r.text(x0 - 6 - Raster.textWidth(label), yy - 5, label, AXIS);
  }
  if (xTicks)
    for (const t of niceTicks(xr[0], xr[1])) {
      const xx = px(t);
      r.line(xx, y0, xx, y0 + 4, AXIS);
      const label = tickLabel(t);
      r.text(xx - Raster.textWidth(label) / 2, y0 + 8, label, AXIS);
    }
  r.line(x0, y0, x1, y0, AXIS);
  r.line(x0, y0, x0, y1, AXIS);
  r.text((W - Raster.textWidth(o.title)) / 2, 10, o.title, [0, 0, 0]);
  if (o.xlabel) r.text((W - Raster.textWidth(o.xlabel)) / 2, H - 16, o.xlabel, AXIS);
  if (o.ylabel) r.text(6, MARGIN.top - 14, o.ylabel, AXIS);
  return { r, px, py };
}

function range(values: number[]): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (lo === Infinity) return [0, 1];
  if (lo === hi) return [lo - 0.5, hi + 0.5];
  return [lo, hi];
}

function legend(r: Raster, names: string[]): void {
  let x = MARGIN.left + 8;
  names.forEach((n, i) => {
    r.fillRect(x, MARGIN.top + 4, 10, 10, paletteColor(i));
    x += 14 + r.text(x + 14, MARGIN.top + 5, n, AXIS) + 10;
  });
}

/** Line plot of one or more series. */
export function linePlot(series: Series[], o: PlotOptions): Buffer {
  const xs = series.flatMap((s) => s.x), ys = series.flatMap((s) => s.y).filter((v) => !o.logY || v > 0);
  const f = frame(o, range(xs), range(ys));
  series.forEach((s, i) => {
    const c = paletteColor(i);
    for (let k = 1; k < s.x.length; k++) {
      if (!Number.isFinite(s.y[k]) || !Number.isFinite(s.y[k - 1])) continue;
      f.r.line(f.px(s.x[k - 1]), f.py(s.y[k - 1]), f.px(s.x[k]), f.py(s.y[k]), c, 2);
    }
  });
  if (series.length > 1) legend(f.r, series.map((s) => s.name));
  return f.r.toPng();
}

/** Bar chart of counts (e.g. cluster usage), bars in the given order. */
export function barPlot(values: number[], o: PlotOptions): Buffer {
  const f = frame(o, [-0.5, values.length - 0.5], [0, Math.max(1, ...values)]);
  const w = Math.max(1, f.px(1) - f.px(0) - 1);
  values.forEach((v, i) => {
    const top = f.py(v), base = f.py(0);
    f.r.fillRect(f.px(i) - w / 2, top, w, base - top, paletteColor(0));
  });
  return f.r.toPng();
}

/** Scatter plot of 2-D points coloured by integer class, with a legend of class names. */
export function scatterPlot(points: Float32Array | number[], classes: number[], classNames: string[], o: PlotOptions): Buffer {
  const n = classes.length;
  const xs = Array.from({ length: n }, (_, i) => points[2 * i]);
  const ys = Array.from({ length: n }, (_, i) => points[2 * i + 1]);
  const f = frame({ ...o, height: o.height ?? 420 }, range(xs), range(ys));
  for (let i = 0; i < n; i++) f.r.fillRect(f.px(xs[i]) - 2, f.py(ys[i]) - 2, 5, 5, paletteColor(classes[i]));
  legend(f.r, classNames);
  return f.r.toPng();
}

/**
 * Heat map of a [rows x cols] matrix (time along x, e.g. a log-mel spectrogram with mel bins as rows,
 * lowest bin at the bottom), with an optional band of integer ids beneath (cluster id per frame), each id
 * in its own colour and written as text where there is room.
 */
export function heatmapWithIds(matrix: Float32Array, rows: number, cols: number, ids: number[] | null, o: PlotOptions): Buffer {
  const W = o.width ?? 800, H = o.height ?? 360;
  const r = new Raster(W, H);
  const band = ids ? 40 : 0;
  const x0 = 20, x1 = W - 20, y0 = 30, y1 = H - 20 - band;
  let lo = Infinity, hi = -Infinity;
  for (const v of matrix) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const cw = (x1 - x0) / cols, rh = (y1 - y0) / rows;
  for (let t = 0; t < cols; t++)
    for (let m = 0; m < rows; m++) {
      const v = matrix[m * cols + t];
      r.fillRect(x0 + t * cw, y1 - (m + 1) * rh, Math.ceil(cw), Math.ceil(rh), heatColor((v - lo) / (hi - lo || 1)));
    }
  if (ids) {
    const bw = (x1 - x0) / ids.length;
    let t = 0;
    while (t < ids.length) {
      let e = t;
      while (e + 1 < ids.length && ids[e + 1] === ids[t]) e++;
      const xs = x0 + t * bw, w = (e - t + 1) * bw;
      r.fillRect(xs, y1 + 6, w, 24, paletteColor(ids[t]));
      const label = String(ids[t]);
      if (Raster.textWidth(label, 1) + 2 < w) r.text(xs + 1, y1 + 14, label, [255, 255, 255], 1);
      r.line(xs, y1 + 6, xs, y1 + 30, [255, 255, 255]);
      t = e + 1;
    }
  }
  r.text((W - Raster.textWidth(o.title)) / 2, 8, o.title, [0, 0, 0]);
  return r.toPng();
}
