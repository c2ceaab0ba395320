/**
 * Principal components of row vectors by power iteration with deflation on the covariance matrix
 * (deterministic: fixed start vectors). Returns the projections [n, k] row-major.
 */
export function pcaProject(data: Float32Array, n: number, dims: number, k = 2, iters = 200): Float32Array {
  const mean = new Float64Array(dims);
  for (let i = 0; i < n; i++) for (let d = 0; d < dims; d++) mean[d] += data[i * dims + d] / n;
  const cov = new Float64Array(dims * dims);
  const row = new Float64Array(dims);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < dims; d++) row[d] = data[i * dims + d] - mean[d];
    for (let a = 0; a < dims; a++) {
      const ra = row[a];
      if (ra === 0) continue;
      for (let b = 0; b < dims; b++) cov[a * dims + b] += ra * row[b];
    }
  }
  const comps: Float64Array[] = [];
  for (let c = 0; c < k; c++) {
    let v = new Float64Array(dims).map((_, i) => 1 / Math.sqrt(dims) + (i % (c + 2)) * 1e-3);
    for (let it = 0; it < iters; it++) {
      const w = new Float64Array(dims);
      for (let a = 0; a < dims; a++) {
        let s = 0;
        for (let b = 0; b < dims; b++) s += cov[a * dims + b] * v[b];
        w[a] = s;
      }
      for (const p of comps) {
        let dot = 0;
        for (let a = 0; a < dims; a++) dot += w[a] * p[a];
        for (let a = 0; a < dims; a++) w[a] -= dot * p[a];
      }
      const norm = Math.hypot(...w) || 1;
      v = w.map((x) => x / norm);
    }
    comps.push(v);
  }
  const out = new Float32Array(n * k);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let d = 0; d < dims; d++) s += (data[i * dims + d] - mean[d]) * comps[c][d];
      out[i * k + c] = s;
    }
  return out;
}
