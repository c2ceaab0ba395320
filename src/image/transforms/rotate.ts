/**
 * Rotation by quarter turns, counter-clockwise: k = 0, 1, 2, 3 for 0, 90, 180, 270 degrees (as numpy's and
 * torch's rot90 over the height and width axes). A 90-degree turn swaps height and width.
 */
import { type Image, createImage } from '../image.ts';

export function rotate90(img: Image, k: number): Image {
  const q = ((k % 4) + 4) % 4;
  if (q === 0) return img;
  const { height: H, width: W, channels: C } = img;
  const out = q === 2 ? createImage(H, W, C) : createImage(W, H, C);
  const oW = out.width;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      // Where the source pixel (y, x) lands.
      let oy: number;
      let ox: number;
      if (q === 1) {
        oy = W - 1 - x;
        ox = y;
      } else if (q === 2) {
        oy = H - 1 - y;
        ox = W - 1 - x;
      } else {
        oy = x;
        ox = H - 1 - y;
      }
      const s = (y * W + x) * C;
      const d = (oy * oW + ox) * C;
      for (let c = 0; c < C; c++) out.data[d + c] = img.data[s + c];
    }
  }
  return out;
}
