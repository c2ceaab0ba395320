/**
 * Derives a 32-bit seed from several integers (run seed, epoch, step, index...) by chained
 * murmur3-style mixing, so that per-step and per-batch generators are a pure function of where the run
 * is: resuming at step k recreates exactly the randomness an uninterrupted run had there.
 */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    if (!Number.isInteger(p)) throw new Error(`mixSeed: expected integers, got ${p}`);
    // Mix both 32-bit halves so that values above 2^32 (large step counts) still differ.
    for (const word of [p >>> 0, Math.floor(p / 4294967296) >>> 0]) {
      let k = Math.imul(word, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, 0x1b873593);
      h ^= k;
      h = (h << 13) | (h >>> 19);
      h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    }
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
