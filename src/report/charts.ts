import { PNG } from 'pngjs';
import { chartFrame, esc, num, niceTicks, textWidth, titleSvg, FONT_FAMILY, type LegendItem } from './svg.ts';
import { heatColor, paletteColor, paletteRgb } from './colours.ts';

/** The report's other charts, as inline SVG: cluster usage bars, a labelled scatter, a heat map with ids. */

/** Bars of counts in the given order (frames per cluster id). */
export function barChart(values: number[], o: { title: string; xlabel: string; ylabel: string; width?: number }): string {
  const top = Math.max(1, ...values);
  const f = chartFrame({ title: o.title, xlabel: o.xlabel, ylabel: o.ylabel, xRange: [-0.5, values.length - 0.5], yRange: [0, top * 1.05], width: o.width, xTicks: niceTicks(0, Math.max(1, values.length - 1), 10).filter(Number.isInteger) });
  const w = Math.max(0.5, (f.px(1) - f.px(0)) * 0.85);
  const bars = values.map((v, i) => (v > 0 ? `<rect x="${num(f.px(i) - w / 2)}" y="${num(f.py(v))}" width="${num(w)}" height="${num(f.py(0) - f.py(v))}" fill="${paletteColor(0)}"><title>id ${i}: ${v}</title></rect>` : ''));
  return f.finish(bars.join(''));
}

/** 2-D points coloured by class, with a legend of class names. */
export function scatterChart(points: ArrayLike<number>, classes: number[], classNames: string[], o: { title: string; xlabel: string; ylabel: string; width?: number }): string {
  const n = classes.length;
  let xlo = Infinity, xhi = -Infinity, ylo = Infinity, yhi = -Infinity;
  for (let i = 0; i < n; i++) {
    xlo = Math.min(xlo, points[2 * i]); xhi = Math.max(xhi, points[2 * i]);
    ylo = Math.min(ylo, points[2 * i + 1]); yhi = Math.max(yhi, points[2 * i + 1]);
  }
  const padX = (xhi - xlo) * 0.04 || 1, padY = (yhi - ylo) * 0.04 || 1;
  const legend: LegendItem[] = classNames.map((c, i) => ({ label: c, color: paletteColor(i), swatch: 'dot' }));
  const f = chartFrame({ title: o.title, xlabel: o.xlabel, ylabel: o.ylabel, xRange: [xlo - padX, xhi + padX], yRange: [ylo - padY, yhi + padY], legend, width: o.width, plotHeight: 300 });
  const dots: string[] = [];
  for (let i = 0; i < n; i++) dots.push(`<circle cx="${num(f.px(points[2 * i]))}" cy="${num(f.py(points[2 * i + 1]))}" r="3.5" fill="${paletteColor(classes[i])}" fill-opacity="0.8"/>`);
  return f.finish(dots.join(''));
}

/** A [rows x cols] matrix as a PNG data URL, one pixel per cell, row 0 at the bottom. */
function heatPng(matrix: Float32Array, rows: number, cols: number): string {
  let lo = Infinity, hi = -Infinity;
  for (const v of matrix) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const png = new PNG({ width: cols, height: rows });
  for (let m = 0; m < rows; m++)
    for (let t = 0; t < cols; t++) {
      const c = heatColor((matrix[m * cols + t] - lo) / (hi - lo || 1));
      const o = ((rows - 1 - m) * cols + t) * 4;
      png.data[o] = c[0]; png.data[o + 1] = c[1]; png.data[o + 2] = c[2]; png.data[o + 3] = 255;
    }
  return `data:image/png;base64,${PNG.sync.write(png).toString('base64')}`;
}

/**
 * A heat map of a [rows x cols] matrix (time along x, e.g. a log-mel spectrogram with mel bins as rows,
 * lowest at the bottom) with an optional band of integer ids beneath (cluster id per frame): each run of
 * one id in its colour, the id written where it fits.
 */
export function heatmapChart(matrix: Float32Array, rows: number, cols: number, ids: number[] | null, o: { title: string; xlabel: string; ylabel: string; width?: number }): string {
  const W = o.width ?? 760;
  const x0 = 56, x1 = W - 18, y1 = 40, y0 = y1 + 200;
  const band = ids ? { top: y0 + 6, height: 22 } : null;
  const axisY = band ? band.top + band.height : y0;
  const H = axisY + 44;
  const parts: string[] = [];
  parts.push(titleSvg(o.title, W));
  parts.push(`<image href="${heatPng(matrix, rows, cols)}" x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}" preserveAspectRatio="none" style="image-rendering:pixelated"/>`);
  const cw = (x1 - x0) / cols;
  for (const t of niceTicks(0, rows - 1, 4).filter(Number.isInteger)) {
    const y = y0 - (t + 0.5) * ((y0 - y1) / rows);
    parts.push(`<text class="tick" x="${x0 - 6}" y="${num(y + 4)}" text-anchor="end" font-size="11">${t}</text>`);
  }
  for (const t of niceTicks(0, cols - 1, 8).filter(Number.isInteger)) {
    const x = x0 + (t + 0.5) * cw;
    parts.push(`<line x1="${num(x)}" y1="${num(axisY)}" x2="${num(x)}" y2="${num(axisY + 5)}" stroke="#444"/><text class="tick" x="${num(x)}" y="${num(axisY + 18)}" text-anchor="middle" font-size="11">${t}</text>`);
  }
  if (band && ids) {
    let t = 0;
    while (t < ids.length) {
      let e = t;
      while (e + 1 < ids.length && ids[e + 1] === ids[t]) e++;
      const x = x0 + t * cw, w = (e - t + 1) * cw;
      const [r, g, b] = paletteRgb(ids[t]);
      const ink = 0.299 * r + 0.587 * g + 0.114 * b > 150 ? '#000' : '#fff';
      const label = String(ids[t]);
      parts.push(`<rect x="${num(x)}" y="${band.top}" width="${num(w)}" height="${band.height}" fill="${paletteColor(ids[t])}" stroke="#fff" stroke-width="0.5"><title>frames ${t}-${e}: id ${label}</title></rect>`);
      if (textWidth(label, 10) + 2 < w) parts.push(`<text class="id" x="${num(x + w / 2)}" y="${band.top + 15}" text-anchor="middle" font-size="10" fill="${ink}">${label}</text>`);
      t = e + 1;
    }
    parts.push(`<text class="axis-label" x="${x0 - 6}" y="${band.top + 15}" text-anchor="end" font-size="10">ids</text>`);
  }
  parts.push(`<text class="axis-label" x="${num((x0 + x1) / 2)}" y="${num(axisY + 36)}" text-anchor="middle" font-size="12">${esc(o.xlabel)}</text>`);
  parts.push(`<text class="axis-label" transform="translate(15 ${num((y0 + y1) / 2)}) rotate(-90)" text-anchor="middle" font-size="12">${esc(o.ylabel)}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${esc(FONT_FAMILY)}" role="img" aria-label="${esc(o.title)}">${parts.join('')}</svg>`;
}
