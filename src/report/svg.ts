/**
 * The building blocks of the report's charts: inline SVG with real <text> (the browser's fonts, selectable
 * and searchable), axes with ticks and labels, and a legend laid out in rows that fit the chart's width.
 * Text widths are estimated on the wide side (DejaVu Sans metrics, the widest of the usual sans fonts),
 * so a label never runs past the edge; the Chromium test measures the real boxes.
 */
export const FONT_FAMILY = "'DejaVu Sans', Verdana, Arial, Helvetica, sans-serif";

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** A coordinate with two decimals at most (keeps the page small). */
export function num(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** Estimated advance of `s` at `size` px, erring wide. */
export function textWidth(s: string, size: number): number {
  let em = 0;
  for (const ch of s) {
    if ('il.,:;|!\'`'.includes(ch)) em += 0.34;
    else if ('fjrt()[]/ -'.includes(ch)) em += 0.45;
    else if ('mwMW@%'.includes(ch)) em += 1.0;
    else if (ch >= 'A' && ch <= 'Z') em += 0.78;
    else em += 0.66;
  }
  return em * size;
}

/** "Nice" tick values covering [lo, hi] (steps of 1, 2 or 5 times a power of ten). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** A tick label: up to four significant digits, exponent notation (2e-4, 1.5e+6) for small or large values. */
export function tickLabel(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return expLabel(v);
  return String(Number(v.toPrecision(4)));
}

function expLabel(v: number): string {
  return v === 0 ? '0' : v.toExponential(1).replace('.0e', 'e');
}

/** Labels for a set of ticks in one notation: exponents for all when any needs one (0.001 beside 8e-4 reads badly). */
export function tickLabels(ticks: number[]): string[] {
  const labels = ticks.map(tickLabel);
  return labels.some((l) => l.includes('e')) ? ticks.map(expLabel) : labels;
}

/**
 * A font size at most `size` at which `s` fits in `width` (down to `min`), and the text to draw at it:
 * `s` itself, or, past the smallest size, `s` shortened with an ellipsis (the caller keeps the whole text
 * in a <title>).
 */
export function fitText(s: string, size: number, width: number, min = 9): { size: number; text: string } {
  const w = textWidth(s, size);
  if (w <= width) return { size, text: s };
  const fitted = Math.floor((size * width) / w * 10) / 10;
  if (fitted >= min) return { size: fitted, text: s };
  let cut = s;
  while (cut.length > 1 && textWidth(cut + '…', min) > width) cut = cut.slice(0, -1);
  return { size: min, text: cut + '…' };
}

/** A centred chart title, smaller when it is long, never wider than the chart. */
export function titleSvg(title: string, chartWidth: number): string {
  const f = fitText(title, 15, chartWidth - 20, 10);
  const tip = f.text === title ? '' : `<title>${esc(title)}</title>`;
  return `<text class="title" x="${num(chartWidth / 2)}" y="22" text-anchor="middle" font-size="${f.size}" font-weight="bold">${tip}${esc(f.text)}</text>`;
}

export interface LegendItem {
  label: string;
  color: string;
  /** solid or dashed line swatch, a filled box, a dot. */
  swatch: 'line' | 'dashed' | 'box' | 'dot';
}

const LEGEND_FONT = 12;
const LEGEND_ROW = 18;

/** Legend entries placed left to right, wrapping to a new row at `width`; returns rows used and the SVG. */
export function legendSvg(items: LegendItem[], left: number, top: number, width: number): { height: number; svg: string } {
  if (items.length === 0) return { height: 0, svg: '' };
  const parts: string[] = [];
  let x = left, row = 0;
  for (const it of items) {
    const fit = fitText(it.label, LEGEND_FONT, width - 26);
    const w = 26 + textWidth(fit.text, fit.size);
    if (x > left && x + w > left + width) {
      row += 1;
      x = left;
    }
    const y = top + row * LEGEND_ROW;
    const mid = y + LEGEND_ROW / 2;
    let sw: string;
    if (it.swatch === 'box') sw = `<rect x="${num(x)}" y="${num(mid - 5)}" width="10" height="10" fill="${it.color}"/>`;
    else if (it.swatch === 'dot') sw = `<circle cx="${num(x + 6)}" cy="${num(mid)}" r="4" fill="${it.color}"/>`;
    else sw = `<line x1="${num(x)}" y1="${num(mid)}" x2="${num(x + 18)}" y2="${num(mid)}" stroke="${it.color}" stroke-width="2.5"${it.swatch === 'dashed' ? ' stroke-dasharray="5 3"' : ''}/>`;
    const tip = fit.text === it.label ? '' : `<title>${esc(it.label)}</title>`;
    parts.push(`<g class="legend-entry">${sw}<text x="${num(x + 22)}" y="${num(mid + 4)}" font-size="${fit.size}">${tip}${esc(fit.text)}</text></g>`);
    x += w + 14;
  }
  return { height: (row + 1) * LEGEND_ROW, svg: `<g class="legend">${parts.join('')}</g>` };
}

export interface FrameOptions {
  title: string;
  xlabel: string;
  ylabel: string;
  xRange: [number, number];
  yRange: [number, number];
  /** Tick values on x (default: nice ticks of xRange); labels from `xTickLabel`. */
  xTicks?: number[];
  xTickLabel?: (v: number) => string;
  legend?: LegendItem[];
  width?: number;
  plotHeight?: number;
  logY?: boolean;
}

export interface Frame {
  width: number;
  height: number;
  px(x: number): number;
  py(y: number): number;
  /** Plot area: left, right, bottom, top. */
  area: { x0: number; x1: number; y0: number; y1: number };
  /** Wraps the chart body (drawn inside the plot area, clipped to it) into the finished <svg>. */
  finish(body: string): string;
}

let clipCounter = 0;

/** Title, axes with grid, ticks and labels, and the legend under the x label; the caller draws the data. */
export function chartFrame(o: FrameOptions): Frame {
  const W = o.width ?? 760;
  const ply = (v: number) => (o.logY ? Math.log10(Math.max(v, 1e-30)) : v);
  const [ylo, yhi] = [ply(o.yRange[0]), ply(o.yRange[1])];
  const yTicks = o.logY ? niceTicks(Math.floor(ylo), Math.ceil(yhi)).filter((t) => Number.isInteger(t) && t >= ylo - 1e-9 && t <= yhi + 1e-9) : niceTicks(ylo, yhi);
  const yLabels = tickLabels(o.logY ? yTicks.map((t) => 10 ** t) : yTicks);
  const tickFont = 11;
  // The same left margin for every chart whose labels allow it, so stacked charts line up.
  const left = Math.max(84, 30 + Math.max(...yLabels.map((l) => textWidth(l, tickFont))) + 8);
  const right = 18;
  const x0 = left, x1 = W - right, y1 = 40, y0 = y1 + (o.plotHeight ?? 230);
  const px = (x: number) => x0 + ((x - o.xRange[0]) / (o.xRange[1] - o.xRange[0] || 1)) * (x1 - x0);
  const pyRaw = (t: number) => y0 - ((t - ylo) / (yhi - ylo || 1)) * (y0 - y1);
  const py = (y: number) => pyRaw(ply(y));
  const legend = legendSvg(o.legend ?? [], x0, y0 + 48, x1 - x0);
  const H = y0 + 44 + (legend.height ? legend.height + 10 : 0);
  const parts: string[] = [];
  parts.push(titleSvg(o.title, W));
  yTicks.forEach((t, i) => {
    const y = pyRaw(t);
    parts.push(`<line x1="${num(x0)}" y1="${num(y)}" x2="${num(x1)}" y2="${num(y)}" stroke="#e4e4e4"/>`);
    parts.push(`<text class="tick" x="${num(x0 - 6)}" y="${num(y + 4)}" text-anchor="end" font-size="${tickFont}">${esc(yLabels[i])}</text>`);
  });
  const xTicks = o.xTicks ?? niceTicks(o.xRange[0], o.xRange[1], 8);
  const xLabels = o.xTickLabel ? xTicks.map(o.xTickLabel) : tickLabels(xTicks);
  for (const [i, t] of xTicks.entries()) {
    const x = px(t);
    if (x < x0 - 0.5 || x > x1 + 0.5) continue;
    const label = xLabels[i];
    const half = textWidth(label, tickFont) / 2;
    const anchor = x + half > W - 2 ? 'end' : x - half < 2 ? 'start' : 'middle';
    parts.push(`<line x1="${num(x)}" y1="${num(y0)}" x2="${num(x)}" y2="${num(y0 + 5)}" stroke="#444"/>`);
    parts.push(`<text class="tick" x="${num(x)}" y="${num(y0 + 18)}" text-anchor="${anchor}" font-size="${tickFont}">${esc(label)}</text>`);
  }
  parts.push(`<path d="M${num(x0)},${num(y1)}V${num(y0)}H${num(x1)}" fill="none" stroke="#444"/>`);
  parts.push(`<text class="axis-label" x="${num((x0 + x1) / 2)}" y="${num(y0 + 36)}" text-anchor="middle" font-size="12">${esc(o.xlabel)}</text>`);
  parts.push(`<text class="axis-label" transform="translate(15 ${num((y0 + y1) / 2)}) rotate(-90)" text-anchor="middle" font-size="12">${esc(o.ylabel)}</text>`);
  const clip = `plot-clip-${++clipCounter}`;
  return {
    width: W,
    height: H,
    px,
    py,
    area: { x0, x1, y0, y1 },
    finish: (body) =>
      `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${W}" height="${num(H)}" viewBox="0 0 ${W} ${num(H)}" font-family="${esc(FONT_FAMILY)}" role="img" aria-label="${esc(o.title)}">` +
      `<defs><clipPath id="${clip}"><rect x="${num(x0 - 4)}" y="${num(y1 - 4)}" width="${num(x1 - x0 + 8)}" height="${num(y0 - y1 + 8)}"/></clipPath></defs>` +
      parts.join('') +
      `<g clip-path="url(#${clip})">${body}</g>` +
      legend.svg +
      '</svg>',
  };
}
