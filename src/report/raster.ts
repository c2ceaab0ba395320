import { PNG } from 'pngjs';
import { glyphRows, GLYPH_HEIGHT, GLYPH_WIDTH } from './font.ts';

export type RGB = [number, number, number];

/** An RGB raster with the few drawing primitives the report plots need; encodes to PNG. */
export class Raster {
  readonly pixels: Uint8Array;
  constructor(readonly width: number, readonly height: number, background: RGB = [255, 255, 255]) {
    this.pixels = new Uint8Array(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      this.pixels.set(background, i * 4);
      this.pixels[i * 4 + 3] = 255;
    }
  }

  set(x: number, y: number, c: RGB): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const o = (y * this.width + x) * 4;
    this.pixels[o] = c[0];
    this.pixels[o + 1] = c[1];
    this.pixels[o + 2] = c[2];
  }

  fillRect(x0: number, y0: number, w: number, h: number, c: RGB): void {
    const xa = Math.max(0, Math.round(x0)), ya = Math.max(0, Math.round(y0));
    const xb = Math.min(this.width, Math.round(x0 + w)), yb = Math.min(this.height, Math.round(y0 + h));
    for (let y = ya; y < yb; y++) for (let x = xa; x < xb; x++) this.set(x, y, c);
  }

  /** A line from (x0,y0) to (x1,y1) (Bresenham), `thickness` pixels wide. */
  line(x0: number, y0: number, x1: number, y1: number, c: RGB, thickness = 1): void {
    x0 = Math.round(x0); y0 = Math.round(y0); x1 = Math.round(x1); y1 = Math.round(y1);
    const dx = Math.abs(x1 - x0), dy = -Math.abs(y1 - y0);
    const sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    let err = dx + dy;
    const r = Math.floor((thickness - 1) / 2);
    for (;;) {
      if (r === 0) this.set(x0, y0, c);
      else this.fillRect(x0 - r, y0 - r, thickness, thickness, c);
      if (x0 === x1 && y0 === y1) break;
      const e2 = 2 * err;
      if (e2 >= dy) { err += dy; x0 += sx; }
      if (e2 <= dx) { err += dx; y0 += sy; }
    }
  }

  /** Draws text with the bitmap font at `scale` pixels per font pixel; returns the width drawn. */
  text(x: number, y: number, s: string, c: RGB = [0, 0, 0], scale = 2): number {
    let cx = Math.round(x);
    for (const ch of s) {
      const rows = glyphRows(ch);
      for (let r = 0; r < GLYPH_HEIGHT; r++)
        for (let b = 0; b < GLYPH_WIDTH; b++)
          if (rows[r] & (1 << (GLYPH_WIDTH - 1 - b))) this.fillRect(cx + b * scale, y + r * scale, scale, scale, c);
      cx += (GLYPH_WIDTH + 1) * scale;
    }
    return cx - x;
  }

  static textWidth(s: string, scale = 2): number {
    return [...s].length * (GLYPH_WIDTH + 1) * scale;
  }

  toPng(): Buffer {
    const png = new PNG({ width: this.width, height: this.height });
    png.data = Buffer.from(this.pixels.buffer, this.pixels.byteOffset, this.pixels.byteLength);
    return PNG.sync.write(png);
  }
}

/** A categorical palette (distinct hues) for series and classes. */
export function paletteColor(i: number): RGB {
  const base: RGB[] = [
    [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
    [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
  ];
  if (i < base.length) return base[i];
  const h = (i * 0.618033988749895) % 1;
  return hsvToRgb(h, 0.65, 0.85);
}

export function hsvToRgb(h: number, s: number, v: number): RGB {
  const i = Math.floor(h * 6), f = h * 6 - i;
  const p = v * (1 - s), q = v * (1 - f * s), t = v * (1 - (1 - f) * s);
  const [r, g, b] = [[v, t, p], [q, v, p], [p, v, t], [p, q, v], [t, p, v], [v, p, q]][i % 6];
  return [Math.round(r * 255), Math.round(g * 255), Math.round(b * 255)];
}

/** A perceptually ordered colour map (dark blue -> yellow) for heat maps, t in [0, 1]. */
export function heatColor(t: number): RGB {
  const stops: RGB[] = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x)), f = x - i;
  return [0, 1, 2].map((k) => Math.round(stops[i][k] + f * (stops[i + 1][k] - stops[i][k]))) as RGB;
}
