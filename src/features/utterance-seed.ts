/** Stable 32-bit seed for one utterance: FNV-1a of its key (relative path), mixed with the run seed. */
export function utteranceSeed(seed: number, key = ''): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
