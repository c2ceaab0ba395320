import * as tf from '@tensorflow/tfjs-core';
import type { SequenceBatch } from '../data/sequence.ts';
import type { Rng } from '../util/rng.ts';
import type { PairSampler, ViewPair } from './pair-relation.ts';

/**
 * The 1-D pair sampler of the temporal-gap method: two segments of `segmentLength` input steps (feature
 * frames, or samples for waveform data) from one recording, not overlapping. With the first segment at
 * [a, a + S) and the second at [b, b + S), the gap is the silence between them, g = |b - a| - S >= 0, and
 * the placement reported is the signed start offset b - a (negative: the second segment comes first).
 *
 * Draws, per recording of L valid steps (recordings shorter than 2S give no pair):
 * - the gap: with `balanceEdges` (the bin edges of a classification target), a bin chosen uniformly
 *   among those this recording can reach, then g uniform in that bin up to the longest gap L - 2S, so
 *   that every class is seen about equally often; without, g uniform in [0, L - 2S];
 * - the earlier segment's start uniform in [0, L - 2S - g];
 * - the order: the later segment is the first view with probability 1/2 (an order-blind target must not
 *   learn "the first view is earlier").
 * Randomness from the caller's Rng only, so a resumed run draws the same pairs. A batch with no recording
 * of 2S steps gives no pair (`count` 0; set the data's `minFrames` to 2S to avoid such batches).
 */
export interface SegmentPairConfig {
  segmentLength: number;
  /** Ascending gap bin edges to balance the draws over (bin i is [edges[i-1], edges[i])), or null. */
  balanceEdges: readonly number[] | null;
  /** Pairs drawn per recording. */
  pairsPerItem: number;
}

export interface SegmentPlacement {
  source: number;
  /** Start of the first view and of the second view, in input steps from the recording's start in the batch. */
  firstStart: number;
  secondStart: number;
}

export class SegmentPairSampler implements PairSampler<SequenceBatch> {
  readonly batchKind = 'sequence';
  readonly offsetDims = 1;

  /** Why a batch gave no pair, for the method's warning. */
  describeEmpty(batch: SequenceBatch): string {
    return `no recording of the batch is 2 x segmentLength = ${2 * this.config.segmentLength} steps long (lengths ${batch.lengths.join(', ')}); set data.minFrames to ${2 * this.config.segmentLength} or lower segmentLength`;
  }

  constructor(readonly config: SegmentPairConfig) {
    if (!(Number.isInteger(config.segmentLength) && config.segmentLength >= 1)) throw new Error(`segment pairs: segmentLength must be a positive integer, got ${config.segmentLength}`);
    if (!(Number.isInteger(config.pairsPerItem) && config.pairsPerItem >= 1)) throw new Error(`segment pairs: pairsPerItem must be a positive integer, got ${config.pairsPerItem}`);
    const e = config.balanceEdges;
    if (e) for (let i = 0; i < e.length; i++) if (!(e[i] > 0 && (i === 0 || e[i] > e[i - 1]))) throw new Error(`segment pairs: bin edges must be positive and ascending, got [${e.join(', ')}]`);
  }

  /** The gap for a recording whose longest gap is `maxGap`. */
  private drawGap(maxGap: number, rng: Rng): number {
    const e = this.config.balanceEdges;
    if (!e) return rng.int(maxGap + 1);
    let reachable = 1;
    while (reachable <= e.length && e[reachable - 1] <= maxGap) reachable++;
    const bin = rng.int(reachable);
    const lo = bin === 0 ? 0 : e[bin - 1];
    const hi = bin < e.length ? Math.min(e[bin] - 1, maxGap) : maxGap;
    return lo + rng.int(hi - lo + 1);
  }

  /** Where the pairs of a batch with these valid lengths go (no tensors). */
  place(lengths: readonly number[], rng: Rng): SegmentPlacement[] {
    const S = this.config.segmentLength;
    const out: SegmentPlacement[] = [];
    for (let b = 0; b < lengths.length; b++) {
      const maxGap = lengths[b] - 2 * S;
      if (maxGap < 0) continue;
      for (let p = 0; p < this.config.pairsPerItem; p++) {
        const g = this.drawGap(maxGap, rng);
        const early = rng.int(maxGap - g + 1);
        const late = early + S + g;
        const swap = rng.next() < 0.5;
        out.push({ source: b, firstStart: swap ? late : early, secondStart: swap ? early : late });
      }
    }
    return out;
  }

  sample(batch: SequenceBatch, rng: Rng): ViewPair {
    const S = this.config.segmentLength;
    const places = this.place(batch.lengths, rng);
    const waveform = batch.shape.length === 2;
    const T = batch.shape[1];
    const D = waveform ? 1 : batch.shape[2];
    const n = places.length;
    const first = new Float32Array(n * S * D);
    const second = new Float32Array(n * S * D);
    const offsets = new Float32Array(n);
    const sources = new Int32Array(n);
    places.forEach((p, i) => {
      const row = p.source * T * D;
      first.set(batch.inputs.subarray(row + p.firstStart * D, row + (p.firstStart + S) * D), i * S * D);
      second.set(batch.inputs.subarray(row + p.secondStart * D, row + (p.secondStart + S) * D), i * S * D);
      offsets[i] = p.secondStart - p.firstStart;
      sources[i] = p.source;
    });
    const shape = waveform ? [n, S] : [n, S, D];
    return { first: { x: tf.tensor(first, shape) }, second: { x: tf.tensor(second, shape) }, count: n, offsets, sources };
  }
}
