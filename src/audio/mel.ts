/**
 * Mel scales and triangular mel filterbanks: Kaldi's (mel = 1127 ln(1 + f/700), triangles in mel space
 * over the FFT bins) and torchaudio's melscale_fbanks (triangles in Hz space, HTK or Slaney scale,
 * optional Slaney area normalisation). Filterbanks come back dense, [numBins][numFreqs] row-major, and
 * can be turned into a sparse form for fast application.
 */
export type MelScale = 'htk' | 'slaney';

/** Kaldi's mel scale (natural log form of HTK). */
export function kaldiMel(hz: number): number {
  return 1127 * Math.log(1 + hz / 700);
}
export function kaldiMelInverse(mel: number): number {
  return 700 * (Math.exp(mel / 1127) - 1);
}

const SLANEY_F_SP = 200 / 3;
const SLANEY_MIN_LOG_HZ = 1000;
const SLANEY_MIN_LOG_MEL = SLANEY_MIN_LOG_HZ / SLANEY_F_SP;
const SLANEY_LOGSTEP = Math.log(6.4) / 27;

/** Hz to mel on the HTK (2595 log10) or Slaney (linear below 1 kHz, log above) scale. */
export function hzToMel(hz: number, scale: MelScale = 'htk'): number {
  if (scale === 'htk') return 2595 * Math.log10(1 + hz / 700);
  if (hz < SLANEY_MIN_LOG_HZ) return hz / SLANEY_F_SP;
  return SLANEY_MIN_LOG_MEL + Math.log(hz / SLANEY_MIN_LOG_HZ) / SLANEY_LOGSTEP;
}

export function melToHz(mel: number, scale: MelScale = 'htk'): number {
  if (scale === 'htk') return 700 * (Math.pow(10, mel / 2595) - 1);
  if (mel < SLANEY_MIN_LOG_MEL) return mel * SLANEY_F_SP;
  return SLANEY_MIN_LOG_HZ * Math.exp(SLANEY_LOGSTEP * (mel - SLANEY_MIN_LOG_MEL));
}

/** A dense filterbank: `weights[b * numFreqs + k]` is filter b's weight on frequency bin k. */
export interface MelFilterbank {
  numBins: number;
  numFreqs: number;
  weights: Float64Array;
}

/** Kaldi's vocal-tract-length warping of the filterbank (VTLN; VTLP when the factor is drawn at random). */
export interface VtlnWarp {
  /** The warp factor alpha: frequencies in the middle band map to f / alpha (1 = none). */
  factor: number;
  /** Lower and upper band edges, Hz (Kaldi's --vtln-low 100, --vtln-high -500; <= 0 relative to Nyquist). */
  low: number;
  high: number;
}

/**
 * Kaldi's VtlnWarpFreq (feat/mel-computations.cc, torchaudio's vtln_warp_freq): piecewise linear, f / alpha
 * between l = low * max(1, alpha) and h = high * min(1, alpha), and straight lines from (lowFreq, lowFreq)
 * to (l, l / alpha) and from (h, h / alpha) to (highFreq, highFreq), so the filterbank's ends stay put.
 * Frequencies outside [lowFreq, highFreq] are unchanged.
 */
export function vtlnWarpFreq(vtlnLow: number, vtlnHigh: number, lowFreq: number, highFreq: number, alpha: number, freq: number): number {
  if (freq < lowFreq || freq > highFreq) return freq;
  const l = vtlnLow * Math.max(1, alpha);
  const h = vtlnHigh * Math.min(1, alpha);
  const scale = 1 / alpha;
  if (freq < l) return lowFreq + ((scale * l - lowFreq) / (l - lowFreq)) * (freq - lowFreq);
  if (freq < h) return scale * freq;
  return highFreq + ((highFreq - scale * h) / (highFreq - h)) * (freq - highFreq);
}

/**
 * Kaldi's mel filterbank (torchaudio.compliance.kaldi.get_mel_banks) for an FFT of
 * `paddedWindowSize` points: `numFreqs` = paddedWindowSize / 2 + 1, the Nyquist column being zero.
 * `highFreq` <= 0 is taken relative to Nyquist, as Kaldi does. With `vtln` (factor != 1) the left, centre
 * and right points of every triangle are warped by vtlnWarpFreq (in Hz, then back to mel), as Kaldi does.
 */
export function kaldiMelBanks(numBins: number, paddedWindowSize: number, sampleFrequency: number, lowFreq: number, highFreq: number, vtln?: VtlnWarp): MelFilterbank {
  if (numBins <= 3) throw new Error(`num-mel-bins must be more than 3, got ${numBins}`);
  if (paddedWindowSize % 2 !== 0) throw new Error(`padded window size must be even, got ${paddedWindowSize}`);
  const numFftBins = paddedWindowSize / 2;
  const nyquist = 0.5 * sampleFrequency;
  const high = highFreq <= 0 ? highFreq + nyquist : highFreq;
  if (!(lowFreq >= 0 && lowFreq < nyquist && high > 0 && high <= nyquist && lowFreq < high)) {
    throw new Error(`bad mel range: low-freq ${lowFreq}, high-freq ${highFreq} (resolved ${high}) for Nyquist ${nyquist}`);
  }
  const binWidth = sampleFrequency / paddedWindowSize;
  const melLow = kaldiMel(lowFreq);
  const melHigh = kaldiMel(high);
  const delta = (melHigh - melLow) / (numBins + 1);
  const numFreqs = numFftBins + 1;
  const weights = new Float64Array(numBins * numFreqs);
  let warp = (mel: number) => mel;
  if (vtln && vtln.factor !== 1) {
    const vHigh = vtln.high <= 0 ? vtln.high + nyquist : vtln.high;
    if (!(vtln.factor > 0) || vtln.low < lowFreq || vtln.low > high || vHigh <= 0 || vHigh >= high || vHigh <= vtln.low) {
      throw new Error(`bad VTLN settings: warp ${vtln.factor}, vtln-low ${vtln.low}, vtln-high ${vtln.high} (resolved ${vHigh}) for low-freq ${lowFreq}, high-freq ${high}`);
    }
    warp = (mel) => kaldiMel(vtlnWarpFreq(vtln.low, vHigh, lowFreq, high, vtln.factor, kaldiMelInverse(mel)));
  }
  for (let b = 0; b < numBins; b++) {
    const left = warp(melLow + b * delta);
    const center = warp(melLow + (b + 1) * delta);
    const right = warp(melLow + (b + 2) * delta);
    for (let k = 0; k < numFftBins; k++) {
      const mel = kaldiMel(binWidth * k);
      const up = (mel - left) / (center - left);
      const down = (right - mel) / (right - center);
      const w = Math.min(up, down);
      if (w > 0) weights[b * numFreqs + k] = w;
    }
  }
  return { numBins, numFreqs, weights };
}

/**
 * torchaudio.functional.melscale_fbanks, transposed to [numMels][numFreqs]: triangles between mel-spaced
 * points from fMin to fMax over `numFreqs` bins spanning 0..floor(sampleRate/2) Hz.
 */
export function melscaleFbanks(numFreqs: number, fMin: number, fMax: number, numMels: number, sampleRate: number, norm: 'slaney' | null = null, scale: MelScale = 'htk'): MelFilterbank {
  const top = Math.floor(sampleRate / 2);
  const allFreqs = new Float64Array(numFreqs);
  for (let k = 0; k < numFreqs; k++) allFreqs[k] = numFreqs === 1 ? 0 : (top * k) / (numFreqs - 1);
  const mMin = hzToMel(fMin, scale);
  const mMax = hzToMel(fMax, scale);
  const fPts = new Float64Array(numMels + 2);
  for (let i = 0; i < numMels + 2; i++) fPts[i] = melToHz(mMin + ((mMax - mMin) * i) / (numMels + 1), scale);
  const weights = new Float64Array(numMels * numFreqs);
  for (let m = 0; m < numMels; m++) {
    const lowerDiff = fPts[m + 1] - fPts[m];
    const upperDiff = fPts[m + 2] - fPts[m + 1];
    const enorm = norm === 'slaney' ? 2 / (fPts[m + 2] - fPts[m]) : 1;
    for (let k = 0; k < numFreqs; k++) {
      const down = (allFreqs[k] - fPts[m]) / lowerDiff;
      const up = (fPts[m + 2] - allFreqs[k]) / upperDiff;
      const w = Math.min(down, up);
      if (w > 0) weights[m * numFreqs + k] = w * enorm;
    }
  }
  return { numBins: numMels, numFreqs, weights };
}

/** A filterbank stored as one contiguous run of weights per filter, for applying it frame by frame. */
export interface SparseFilterbank {
  numBins: number;
  numFreqs: number;
  /** First frequency bin of filter b. */
  start: Int32Array;
  /** Offset of filter b's weights in `weights`; filter b has offset[b+1] - offset[b] of them. */
  offset: Int32Array;
  weights: Float64Array;
}

export function sparseFilterbank(fb: MelFilterbank): SparseFilterbank {
  const { numBins, numFreqs, weights } = fb;
  const start = new Int32Array(numBins);
  const offset = new Int32Array(numBins + 1);
  const runs: number[] = [];
  for (let b = 0; b < numBins; b++) {
    let lo = 0;
    while (lo < numFreqs && weights[b * numFreqs + lo] === 0) lo++;
    let hi = numFreqs;
    while (hi > lo && weights[b * numFreqs + hi - 1] === 0) hi--;
    start[b] = lo;
    offset[b] = runs.length;
    for (let k = lo; k < hi; k++) runs.push(weights[b * numFreqs + k]);
  }
  offset[numBins] = runs.length;
  return { numBins, numFreqs, start, offset, weights: Float64Array.from(runs) };
}

/** out[b] = sum_k fb[b][k] * spectrum[k]. */
export function applySparseFilterbank(fb: SparseFilterbank, spectrum: Float64Array, out: Float64Array): void {
  const { numBins, start, offset, weights } = fb;
  for (let b = 0; b < numBins; b++) {
    let k = start[b];
    let s = 0;
    const end = offset[b + 1];
    for (let i = offset[b]; i < end; i++) s += weights[i] * spectrum[k++];
    out[b] = s;
  }
}
