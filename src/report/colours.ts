/** Colours of the report's charts: a categorical palette for series and classes, a colour map for heat maps. */
export type RGB = [number, number, number];

const PALETTE: RGB[] = [
  [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
];

function hsvToRgb(h: number, s: number, v: number): RGB {
  const i = Math.floor(h * 6), f = h * 6 - i;
  const p = v * (1 - s), q = v * (1 - f * s), t = v * (1 - (1 - f) * s);
  const [r, g, b] = [[v, t, p], [q, v, p], [p, v, t], [p, q, v], [t, p, v], [v, p, q]][i % 6];
  return [Math.round(r * 255), Math.round(g * 255), Math.round(b * 255)];
}

/** Colour i of a categorical palette (ten distinct hues, then golden-ratio hues). */
export function paletteRgb(i: number): RGB {
  return i < PALETTE.length ? PALETTE[i] : hsvToRgb((i * 0.618033988749895) % 1, 0.65, 0.85);
}

export function paletteColor(i: number): string {
  return '#' + paletteRgb(i).map((c) => c.toString(16).padStart(2, '0')).join('');
}

/** A perceptually ordered colour map (dark blue -> yellow, like viridis) for heat maps, t in [0, 1]. */
export function heatColor(t: number): RGB {
  const stops: RGB[] = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x)), f = x - i;
  return [0, 1, 2].map((k) => Math.round(stops[i][k] + f * (stops[i + 1][k] - stops[i][k]))) as RGB;
}
