/**
 * Per-utterance waveform normalisation of wav2vec 2.0 large / HuBERT large style models: zero mean and unit
 * variance over the whole utterance, y = (x - mean) / sqrt(var + eps) with the biased variance. Hugging
 * Face's Wav2Vec2FeatureExtractor (`do_normalize`) uses eps 1e-7, fairseq (`task.normalize`,
 * F.layer_norm over the waveform) 1e-5. Sums in float64.
 */
export function normalizeWaveform(x: Float32Array, eps: number): Float32Array {
  const n = x.length;
  if (n === 0) return new Float32Array(0);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += x[i];
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (x[i] - mean) ** 2;
  const scale = 1 / Math.sqrt(sq / n + eps);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (x[i] - mean) * scale;
  return out;
}
