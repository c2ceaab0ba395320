import { Rng } from '../../src/util/rng.ts';

/** Well-separated planted clusters: `k` centres on a scaled grid-ish random layout, `perCluster` normal points each. */
export function plantedClusters(k: number, perCluster: number, dims: number, spread: number, seed: number) {
  const rng = new Rng(seed);
  const centres = new Float32Array(k * dims);
  for (let j = 0; j < k; j++) for (let t = 0; t < dims; t++) centres[j * dims + t] = rng.uniform(-50, 50);
  const n = k * perCluster;
  const data = new Float32Array(n * dims);
  const truth = new Int32Array(n);
  const order = rng.permutation(n);
  order.forEach((slot, i) => {
    const j = i % k;
    truth[slot] = j;
    for (let t = 0; t < dims; t++) data[slot * dims + t] = centres[j * dims + t] + rng.normal(0, spread);
  });
  return { data, truth, centres, n };
}

/** Squared distance from each planted centre to its nearest found centroid: the worst over centres. */
export function worstCentreError(found: Float32Array, planted: Float32Array, k: number, dims: number): number {
  let worst = 0;
  for (let j = 0; j < k; j++) {
    let best = Infinity;
    for (let m = 0; m < found.length / dims; m++) {
      let s = 0;
      for (let t = 0; t < dims; t++) s += (found[m * dims + t] - planted[j * dims + t]) ** 2;
      best = Math.min(best, s);
    }
    worst = Math.max(worst, best);
  }
  return worst;
}
