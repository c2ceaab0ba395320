/** The float64 reference the engine's product kernels are checked against (wasm, cpu, onnxruntime). */

function size(dims: number[]): number {
  return dims.reduce((x, y) => x * y, 1);
}

/** op(A[b]) @ op(B[b]) (+ bias) in float64, size-1 batches broadcast. */
export function refProduct(a: Float32Array, as: number[], b: Float32Array, bs: number[], ta: boolean, tb: boolean, bias?: Float32Array): Float64Array {
  const m = ta ? as[as.length - 1] : as[as.length - 2];
  const k = ta ? as[as.length - 2] : as[as.length - 1];
  const n = tb ? bs[bs.length - 2] : bs[bs.length - 1];
  const batchA = size(as.slice(0, -2));
  const batchB = size(bs.slice(0, -2));
  const batch = Math.max(batchA, batchB);
  const out = new Float64Array(batch * m * n);
  for (let z = 0; z < batch; z++) {
    const ao = batchA === 1 ? 0 : z * m * k;
    const bo = batchB === 1 ? 0 : z * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = bias ? bias[j] : 0;
        for (let p = 0; p < k; p++) s += (ta ? a[ao + p * m + i] : a[ao + i * k + p]) * (tb ? b[bo + j * k + p] : b[bo + p * n + j]);
        out[z * m * n + i * n + j] = s;
      }
    }
  }
  return out;
}
