/**
 * An energy-based speech/silence frame selector: a frame is speech when its log energy is within
 * `dynamicRangeDb` of the loudest frame of its utterance. It gives frame-level reference labels on corpora
 * that only label whole utterances (FSDD: the digit holds over the speech frames, not over silence).
 *
 * Log energies are natural logs of power (Kaldi's convention); 10 dB = ln(10) nats of power.
 */
export interface SpeechFrameOptions {
  /** Frames quieter than the loudest by more than this are silence (default 35 dB). */
  dynamicRangeDb: number;
}
export const SPEECH_FRAME_DEFAULTS: Readonly<SpeechFrameOptions> = Object.freeze({ dynamicRangeDb: 35 });

/** 1 for speech frames, 0 for silence. */
export function selectSpeechFrames(logEnergy: ArrayLike<number>, opts: Partial<SpeechFrameOptions> = {}): Uint8Array {
  const { dynamicRangeDb } = { ...SPEECH_FRAME_DEFAULTS, ...opts };
  const range = (dynamicRangeDb / 10) * Math.LN10;
  let max = -Infinity;
  for (let t = 0; t < logEnergy.length; t++) if (logEnergy[t] > max) max = logEnergy[t];
  const out = new Uint8Array(logEnergy.length);
  for (let t = 0; t < logEnergy.length; t++) out[t] = logEnergy[t] >= max - range ? 1 : 0;
  return out;
}

/** ln(sum of squares) per frame, Kaldi framing (snip edges): 25 ms windows every 10 ms by default. */
export function logEnergyFromWaveform(samples: Float32Array, sampleRate: number, frameMs = 25, shiftMs = 10): Float32Array {
  const len = Math.round((sampleRate * frameMs) / 1000), shift = Math.round((sampleRate * shiftMs) / 1000);
  const n = samples.length < len ? 0 : 1 + Math.floor((samples.length - len) / shift);
  const out = new Float32Array(n);
  for (let f = 0; f < n; f++) {
    let s = 0;
    for (let i = 0; i < len; i++) s += samples[f * shift + i] ** 2;
    out[f] = Math.log(Math.max(s, 1e-10));
  }
  return out;
}

/**
 * Per-frame log energy estimated from features on disk:
 * - `c0`: column 0 of Kaldi/torchaudio MFCCs made without the energy term (fairseq's dump_mfcc_feature):
 *   c0 = sqrt(numMelBins) * mean log-mel energy, so c0 / sqrt(numMelBins) is in log-power units;
 * - `mean`: the mean over columns (log-mel / fbank features);
 * - a number: that column as it is (e.g. MFCCs made with use_energy, where column 0 is ln energy).
 */
export type FeatureEnergySource = 'c0' | 'mean' | number;

export function logEnergyFromFeatures(frames: Float32Array, dims: number, source: FeatureEnergySource, numMelBins = 23): Float32Array {
  const n = Math.floor(frames.length / dims);
  const out = new Float32Array(n);
  for (let t = 0; t < n; t++) {
    if (source === 'mean') {
      let s = 0;
      for (let c = 0; c < dims; c++) s += frames[t * dims + c];
      out[t] = s / dims;
    } else if (source === 'c0') {
      out[t] = frames[t * dims] / Math.sqrt(numMelBins);
    } else {
      out[t] = frames[t * dims + source];
    }
  }
  return out;
}
