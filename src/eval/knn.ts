/**
 * Weighted k-nearest-neighbour classification as InstDisc (Wu et al. 2018) and solo-learn's
 * WeightedKNNClassifier do it: features L2-normalised, cosine similarity to every training row, the k most
 * similar vote for their class with weight exp(similarity / T) (T = 0.07), the class with the largest
 * total wins (ties: the lower class id).
 */
export interface KnnConfig {
  k: number;
  temperature: number;
}

function normalizeRows(x: Float32Array, dims: number): Float32Array {
  const n = Math.floor(x.length / dims);
  const out = new Float32Array(n * dims);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < dims; c++) s += x[i * dims + c] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let c = 0; c < dims; c++) out[i * dims + c] = x[i * dims + c] * inv;
  }
  return out;
}

/** Predictions for each test row, for every k in `ks` (one Int32Array per k). */
export function knnPredict(
  train: Float32Array, trainLabels: Int32Array, test: Float32Array, dims: number, numClasses: number, ks: number[], temperature = 0.07,
): Int32Array[] {
  const a = normalizeRows(train, dims), b = normalizeRows(test, dims);
  const nTrain = trainLabels.length, nTest = Math.floor(test.length / dims);
  const preds = ks.map(() => new Int32Array(nTest));
  const sims = new Float64Array(nTrain);
  const order = new Int32Array(nTrain);
  const votes = new Float64Array(numClasses);
  for (let i = 0; i < nTest; i++) {
    for (let j = 0; j < nTrain; j++) {
      let s = 0;
      for (let c = 0; c < dims; c++) s += a[j * dims + c] * b[i * dims + c];
      sims[j] = s;
      order[j] = j;
    }
    order.sort((p, q) => sims[q] - sims[p] || p - q);
    ks.forEach((k, ki) => {
      votes.fill(0);
      const kk = Math.min(k, nTrain);
      for (let r = 0; r < kk; r++) votes[trainLabels[order[r]]] += Math.exp(sims[order[r]] / temperature);
      let best = 0;
      for (let c = 1; c < numClasses; c++) if (votes[c] > votes[best]) best = c;
      preds[ki][i] = best;
    });
  }
  return preds;
}
