import type { Rng } from '../util/rng.ts';

/**
 * Which patches of a rows x cols grid a masked-patch step hides, per image, as a [B * rows * cols] 0/1
 * array (row-major, 1 = masked). Exactly round(ratio * T) patches per image (at least one), either
 * anywhere (`random`, SimMIM-like) or as rectangles (`block`, BEiT's blockwise masking: rectangles of
 * area 2..remaining and aspect ratio 0.3..3.3 at random places until the count is reached; the last one
 * is trimmed so the count is exact).
 */
export type PatchMaskShape = 'random' | 'block';

export function maskedPatchCount(T: number, ratio: number): number {
  return Math.min(T, Math.max(1, Math.round(ratio * T)));
}

export function patchMask(B: number, rows: number, cols: number, ratio: number, shape: PatchMaskShape, rng: Rng): Float32Array {
  if (!(ratio > 0 && ratio <= 1)) throw new Error(`patch mask: ratio must be in (0, 1], got ${ratio}`);
  const T = rows * cols;
  const target = maskedPatchCount(T, ratio);
  const out = new Float32Array(B * T);
  for (let b = 0; b < B; b++) {
    const m = out.subarray(b * T, (b + 1) * T);
    if (shape === 'random') {
      for (const t of rng.permutation(T).slice(0, target)) m[t] = 1;
      continue;
    }
    let count = 0;
    for (let attempt = 0; count < target && attempt < 100 * T; attempt++) {
      const area = 2 + rng.next() * Math.max(0, target - count - 2);
      const aspect = Math.exp(Math.log(0.3) + rng.next() * (Math.log(1 / 0.3) - Math.log(0.3)));
      const h = Math.max(1, Math.min(rows, Math.round(Math.sqrt(area * aspect))));
      const w = Math.max(1, Math.min(cols, Math.round(Math.sqrt(area / aspect))));
      const top = rng.int(rows - h + 1), left = rng.int(cols - w + 1);
      for (let y = top; y < top + h && count < target; y++) {
        for (let x = left; x < left + w && count < target; x++) {
          if (!m[y * cols + x]) {
            m[y * cols + x] = 1;
            count++;
          }
        }
      }
    }
    // A degenerate grid (a single row or column): fill the rest anywhere.
    for (const t of rng.permutation(T)) {
      if (count >= target) break;
      if (!m[t]) {
        m[t] = 1;
        count++;
      }
    }
  }
  return out;
}
