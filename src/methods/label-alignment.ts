/**
 * Aligning frame labels (k-means IDs at the feature rate, usually 100 Hz) with the encoder's frames
 * (usually 50 Hz), as fairseq's HuBERT `forward_targets` does:
 *
 *   ratio = label_rate / frame_rate
 *   if ratio * frames > labels: frames = floor(labels / ratio)      (trim frames that have no label)
 *   label of frame t = labels[floor(t * ratio)]                      (t * ratio in float32, as torch)
 *
 * With labels at 100 Hz and a 50 Hz encoder this keeps every second label (0, 2, 4, ...); at equal
 * rates it is the identity. Durations that disagree by more than a tolerance (fairseq warns at 0.1 s)
 * are the classic 100-vs-50 Hz mistake; `labelDurationMismatch` detects them.
 */
export interface LabelRates {
  /** Labels per second (100 for labels from 10 ms features). */
  labelRate: number;
  /** Encoder frames per second (50 for HuBERT's 20 ms frames). */
  frameRate: number;
}

export interface AlignedLabels {
  /** Encoder frames that have a label (at most the frames given). */
  numFrames: number;
  /** One label per kept frame. */
  labels: Int32Array;
}

function checkRates({ labelRate, frameRate }: LabelRates): number {
  if (!(labelRate > 0 && Number.isFinite(labelRate))) throw new Error(`label alignment: labelRate must be a positive number, got ${labelRate}`);
  if (!(frameRate > 0 && Number.isFinite(frameRate))) throw new Error(`label alignment: frameRate must be a positive number, got ${frameRate}`);
  return labelRate / frameRate;
}

/** The label index read by each of the first `numFrames` encoder frames (after trimming). */
export function labelIndicesForFrames(numFrames: number, numLabels: number, rates: LabelRates): Int32Array {
  const ratio = checkRates(rates);
  let frames = numFrames;
  if (ratio * frames > numLabels) frames = Math.floor(numLabels / ratio);
  const r32 = Math.fround(ratio);
  const out = new Int32Array(frames);
  for (let t = 0; t < frames; t++) out[t] = Math.floor(Math.fround(Math.fround(t) * r32));
  return out;
}

/** Labels for the encoder frames of one utterance (see the file comment). */
export function alignLabelsToFrames(labels: ArrayLike<number>, numFrames: number, rates: LabelRates): AlignedLabels {
  const idx = labelIndicesForFrames(numFrames, labels.length, rates);
  const out = new Int32Array(idx.length);
  for (let t = 0; t < idx.length; t++) out[t] = labels[idx[t]];
  return { numFrames: idx.length, labels: out };
}

/**
 * Seconds by which the label sequence's duration differs from the audio's, or null when within
 * `toleranceSeconds` (fairseq's check in its HuBERT dataset uses 0.1 s).
 */
export function labelDurationMismatch(numSamples: number, sampleRate: number, numLabels: number, labelRate: number, toleranceSeconds = 0.1): number | null {
  const diff = numLabels / labelRate - numSamples / sampleRate;
  return Math.abs(diff) > toleranceSeconds ? diff : null;
}
