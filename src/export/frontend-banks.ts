/**
 * Window and mel-filterbank matrices for the ONNX frontend. Interim: these follow torchaudio's
 * definitions (compliance.kaldi.get_mel_banks, functional.melscale_fbanks, torch window functions) and
 * are to be replaced by the shared ones in src/audio/ (mel.ts, window.ts) once they land.
 * Filterbanks are dense, `weights[b * numFreqs + k]`.
 */

export interface DenseFilterbank {
  numBins: number;
  numFreqs: number;
  weights: Float64Array;
}

/** Raised cosine 0.5 - 0.5 cos(2 pi n / D), D = N - 1 (symmetric) or N (periodic). */
export function hannWindow(length: number, periodic: boolean): Float64Array {
  const d = periodic ? length : length - 1;
  return Float64Array.from({ length }, (_, n) => (length === 1 ? 1 : 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / d)));
}

export function hammingWindow(length: number, periodic: boolean): Float64Array {
  const d = periodic ? length : length - 1;
  return Float64Array.from({ length }, (_, n) => (length === 1 ? 1 : 0.54 - 0.46 * Math.cos((2 * Math.PI * n) / d)));
}

/** Kaldi's povey window: symmetric Hann to the power 0.85. */
export function poveyWindow(length: number): Float64Array {
  return hannWindow(length, false).map((v) => Math.pow(v, 0.85));
}

const kaldiMel = (hz: number) => 1127 * Math.log(1 + hz / 700);

/** Kaldi's mel banks over paddedWindowSize/2 + 1 bins (the Nyquist column zero); highFreq <= 0 is relative to Nyquist. */
export function kaldiMelBanks(numBins: number, paddedWindowSize: number, sampleFrequency: number, lowFreq: number, highFreq: number): DenseFilterbank {
  const nyquist = sampleFrequency / 2;
  const high = highFreq <= 0 ? highFreq + nyquist : highFreq;
  const binWidth = sampleFrequency / paddedWindowSize;
  const melLow = kaldiMel(lowFreq);
  const delta = (kaldiMel(high) - melLow) / (numBins + 1);
  const numFreqs = paddedWindowSize / 2 + 1;
  const weights = new Float64Array(numBins * numFreqs);
  for (let b = 0; b < numBins; b++) {
    const left = melLow + b * delta;
    const center = left + delta;
    const right = center + delta;
    for (let k = 0; k < numFreqs - 1; k++) {
      const mel = kaldiMel(binWidth * k);
      const w = Math.min((mel - left) / (center - left), (right - mel) / (right - center));
      if (w > 0) weights[b * numFreqs + k] = w;
    }
  }
  return { numBins, numFreqs, weights };
}

/** torchaudio.functional.melscale_fbanks with the HTK scale and no norm, as [numMels][numFreqs]. */
export function melscaleFbanks(numFreqs: number, fMin: number, fMax: number, numMels: number, sampleRate: number): DenseFilterbank {
  const toMel = (hz: number) => 2595 * Math.log10(1 + hz / 700);
  const toHz = (mel: number) => 700 * (Math.pow(10, mel / 2595) - 1);
  const top = Math.floor(sampleRate / 2);
  const mMin = toMel(fMin);
  const mMax = toMel(fMax);
  const fPts = Array.from({ length: numMels + 2 }, (_, i) => toHz(mMin + ((mMax - mMin) * i) / (numMels + 1)));
  const weights = new Float64Array(numMels * numFreqs);
  for (let m = 0; m < numMels; m++) {
    for (let k = 0; k < numFreqs; k++) {
      const f = (top * k) / (numFreqs - 1);
      const w = Math.min((f - fPts[m]) / (fPts[m + 1] - fPts[m]), (fPts[m + 2] - f) / (fPts[m + 2] - fPts[m + 1]));
      if (w > 0) weights[m * numFreqs + k] = w;
    }
  }
  return { numBins: numMels, numFreqs, weights };
}
