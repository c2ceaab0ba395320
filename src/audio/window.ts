/**
 * Window functions, as torch and Kaldi define them. `symmetric` windows have w[0] = w[N-1] (Kaldi's
 * frames, torch's periodic=False); `periodic` ones are the first N points of an N+1 symmetric window
 * (torch's default for STFTs).
 */
export type WindowType = 'povey' | 'hann' | 'hanning' | 'hamming' | 'rectangular' | 'blackman';
export const WINDOW_TYPES: readonly WindowType[] = ['povey', 'hann', 'hanning', 'hamming', 'rectangular', 'blackman'];

/** Raised-cosine window alpha - beta*cos(2*pi*n/D) with D = N-1 (symmetric) or N (periodic). */
function generalizedCosine(length: number, alpha: number, beta: number, periodic: boolean): Float64Array {
  const w = new Float64Array(length);
  if (length === 1) {
    w[0] = 1;
    return w;
  }
  const denom = periodic ? length : length - 1;
  for (let n = 0; n < length; n++) w[n] = alpha - beta * Math.cos((2 * Math.PI * n) / denom);
  return w;
}

/** Hann window (torch.hann_window). */
export function hannWindow(length: number, periodic = true): Float64Array {
  return generalizedCosine(length, 0.5, 0.5, periodic);
}

/** Hamming window (torch.hamming_window with alpha 0.54, beta 0.46). */
export function hammingWindow(length: number, periodic = true): Float64Array {
  return generalizedCosine(length, 0.54, 0.46, periodic);
}

/** Kaldi's "povey" window: a symmetric Hann window raised to the power 0.85. */
export function poveyWindow(length: number): Float64Array {
  const w = hannWindow(length, false);
  for (let n = 0; n < length; n++) w[n] = Math.pow(w[n], 0.85);
  return w;
}

/** Kaldi's Blackman window with coefficient `coeff` (0.42 by default), symmetric. */
export function blackmanWindow(length: number, coeff = 0.42): Float64Array {
  const w = new Float64Array(length);
  const a = (2 * Math.PI) / (length - 1);
  for (let n = 0; n < length; n++) w[n] = coeff - 0.5 * Math.cos(a * n) + (0.5 - coeff) * Math.cos(2 * a * n);
  return w;
}

export function rectangularWindow(length: number): Float64Array {
  return new Float64Array(length).fill(1);
}

/** The window Kaldi (and torchaudio.compliance.kaldi) applies to each frame: all symmetric. */
export function kaldiWindow(type: WindowType, length: number, blackmanCoeff = 0.42): Float64Array {
  switch (type) {
    case 'povey':
      return poveyWindow(length);
    case 'hann':
    case 'hanning':
      return hannWindow(length, false);
    case 'hamming':
      return hammingWindow(length, false);
    case 'rectangular':
      return rectangularWindow(length);
    case 'blackman':
      return blackmanWindow(length, blackmanCoeff);
  }
}

/**
 * An STFT window of `winLength` centred in `nFft` points with zeros around it, as torch.stft pads a
 * shorter window (left pad (nFft - winLength) / 2, floored).
 */
export function centerPadWindow(window: Float64Array, nFft: number): Float64Array {
  if (window.length === nFft) return window;
  if (window.length > nFft) throw new Error(`window length ${window.length} exceeds n_fft ${nFft}`);
  const out = new Float64Array(nFft);
  out.set(window, (nFft - window.length) >> 1);
  return out;
}
