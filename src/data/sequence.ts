import type { Rng } from '../util/rng.ts';

/**
 * Variable-length sequences (feature frames or waveform samples) with optional frame-level label
 * sets (fairseq `.km`), and how a batch of them is cut and padded.
 */
export interface SequenceDataset {
  readonly size: number;
  /** Values per frame (feature dims; 1 for a waveform). */
  readonly dims: number;
  /** True for raw waveforms: batches are [B, T] rather than [B, T, D]. */
  readonly isWaveform: boolean;
  /** Label sets, each with its labels-per-input-frame ratio (e.g. 0.5 for 50 Hz labels on 100 Hz features). */
  readonly labelSets: readonly LabelSetInfo[];
  /** Frames (or samples) of item i. */
  length(i: number): number;
  /** A name for item i (its path), for error messages and logs. */
  id(i: number): string;
  /** Frames [start, end) of item i, row-major [end - start, dims]. */
  read(i: number, start: number, end: number): Float32Array;
  /** Label set `set` of item i in full. */
  labels(set: number, i: number): Int32Array;
  /**
   * Loads items ahead of `read` where loading is asynchronous (decoding audio). An item that cannot be
   * loaded is recorded in `failures` (index -> message) rather than thrown, so a run skips it and goes on.
   */
  prefetch?(indices: number[]): Promise<void>;
  readonly failures?: ReadonlyMap<number, string>;
}

export interface LabelSetInfo {
  /** The file the labels came from. */
  file: string;
  /** Labels per input frame. */
  perFrame: number;
  /** Number of classes (from a `dict.*.txt` beside the labels, or max label + 1). */
  numClasses: number;
}

export interface SequenceBatch {
  kind: 'sequence';
  /** [B, T, D] (features) or [B, T] (waveform). */
  shape: number[];
  /** Zero-padded inputs, row-major in `shape`. */
  inputs: Float32Array;
  /** Valid frames per item. */
  lengths: number[];
  /** [B, T], 1 where the frame is padding. */
  paddingMask: Float32Array;
  /** One entry per label set: [B, L] padded with -1, and valid labels per item. */
  labels: { shape: [number, number]; data: Int32Array; lengths: number[] }[];
  /** Dataset indices, ids and crop offsets (in input frames) of the items. */
  indices: number[];
  ids: string[];
  offsets: number[];
}

export interface CollateOptions {
  /** Crop longer items to this many frames (0: no limit). */
  maxFrames: number;
  /** Crop every item to the shortest in the batch (fairseq's audio pretraining without padding). */
  cropToShortest: boolean;
  /** Random crop offsets (training) or crops from the start (evaluation). */
  randomCrop: boolean;
}

/** Cuts, pads and stacks items `indices` of `ds` into one batch. */
export function collateSequences(ds: SequenceDataset, indices: number[], opts: CollateOptions, rng: Rng): SequenceBatch {
  const B = indices.length;
  const full = indices.map((i) => ds.length(i));
  let target = full.map((n) => (opts.maxFrames > 0 ? Math.min(n, opts.maxFrames) : n));
  if (opts.cropToShortest) {
    const shortest = Math.min(...target);
    target = target.map(() => shortest);
  }
  const T = Math.max(...target);
  const D = ds.dims;
  const inputs = new Float32Array(B * T * D);
  const paddingMask = new Float32Array(B * T).fill(1);
  const offsets: number[] = [];
  for (let b = 0; b < B; b++) {
    const spare = full[b] - target[b];
    const start = spare > 0 && opts.randomCrop ? rng.int(spare + 1) : 0;
    offsets.push(start);
    inputs.set(ds.read(indices[b], start, start + target[b]), b * T * D);
    paddingMask.fill(0, b * T, b * T + target[b]);
  }
  const labels = ds.labelSets.map((info, set) => {
    const cut = indices.map((i, b) => {
      const all = ds.labels(set, i);
      const from = Math.round(offsets[b] * info.perFrame);
      const count = Math.min(Math.round(target[b] * info.perFrame), all.length - from);
      return all.subarray(from, from + Math.max(0, count));
    });
    const L = Math.max(...cut.map((c) => c.length));
    const data = new Int32Array(B * L).fill(-1);
    cut.forEach((c, b) => data.set(c, b * L));
    return { shape: [B, L] as [number, number], data, lengths: cut.map((c) => c.length) };
  });
  return {
    kind: 'sequence',
    shape: ds.isWaveform ? [B, T] : [B, T, D],
    inputs,
    lengths: target,
    paddingMask,
    labels,
    indices: [...indices],
    ids: indices.map((i) => ds.id(i)),
    offsets,
  };
}

export interface BucketOptions {
  /** Most items per batch. */
  batchSize: number;
  /** Most padded frames per batch (B x longest cropped length); 0 for no limit. */
  maxTokens: number;
  /** Crop limit (lengths are capped at it before bucketing). */
  maxFrames: number;
  /** Items shorter than this are left out. */
  minFrames: number;
  /** Sort by length before forming batches (less padding), then shuffle the batches. */
  bucket: boolean;
  /** Shuffle items and batches (training); false keeps dataset order (evaluation). */
  shuffle: boolean;
}

/**
 * An epoch's batches as fairseq forms them: shuffle, stable-sort by (capped) length with the shuffle
 * as tie-break, fill batches up to `batchSize` items and `maxTokens` padded frames, shuffle the batches.
 */
export function planSequenceBatches(lengths: ArrayLike<number>, opts: BucketOptions, rng: Rng): number[][] {
  const capped = (i: number) => (opts.maxFrames > 0 ? Math.min(lengths[i], opts.maxFrames) : lengths[i]);
  let order = Array.from({ length: lengths.length }, (_, i) => i).filter((i) => lengths[i] >= opts.minFrames && lengths[i] > 0);
  if (opts.shuffle) order = rng.shuffle(order);
  if (opts.bucket) {
    const rank = new Map(order.map((i, r) => [i, r]));
    order.sort((a, b) => capped(a) - capped(b) || rank.get(a)! - rank.get(b)!);
  }
  const batches: number[][] = [];
  let cur: number[] = [];
  let longest = 0;
  for (const i of order) {
    const len = capped(i);
    const wouldBe = Math.max(longest, len) * (cur.length + 1);
    if (cur.length > 0 && (cur.length >= opts.batchSize || (opts.maxTokens > 0 && wouldBe > opts.maxTokens))) {
      batches.push(cur);
      cur = [];
      longest = 0;
    }
    cur.push(i);
    longest = Math.max(longest, len);
  }
  if (cur.length) batches.push(cur);
  return opts.shuffle ? rng.shuffle(batches) : batches;
}
