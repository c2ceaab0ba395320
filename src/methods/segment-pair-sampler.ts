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
 * Draws (recordings of L valid steps shorter than 2S give no pair; the longest gap of one is L - 2S):
 * - the gap, with `balanceEdges` (the bin edges of a classification target) and `balance`:
 *   - `batch` (default): pairsPerItem pairs per recording that gives any, but for each pair a bin chosen
 *     uniformly among those some recording of the batch can reach, then a recording uniformly among those
 *     that reach it, then g uniform in that bin up to that recording's longest gap. The classes are
 *     balanced over the batch (each about 1/bins when every bin is reachable), whatever the lengths;
 *   - `recording`: each recording gives pairsPerItem pairs, each a bin chosen uniformly among those that
 *     recording can reach. Short recordings reach only the near bins, so the near bins are drawn more
 *     often overall (FSDD, 10-frame segments, edges 5 and 15: 42% / 36% / 22%);
 *   without edges, g uniform in [0, L - 2S] per recording;
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
  /** Over what the bins are balanced (with balanceEdges): the batch's pairs (default) or each recording's. */
  balance?: GapBalance;
  /** Pairs drawn per recording. */
  pairsPerItem: number;
}

export type GapBalance = 'batch' | 'recording';

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
    if (config.balance !== undefined && config.balance !== 'batch' && config.balance !== 'recording') throw new Error(`segment pairs: balance must be batch or recording, got ${String(config.balance)}`);
    if (e) for (let i = 0; i < e.length; i++) if (!(e[i] > 0 && (i === 0 || e[i] > e[i - 1]))) throw new Error(`segment pairs: bin edges must be positive and ascending, got [${e.join(', ')}]`);
  }

  /** Bins a recording whose longest gap is `maxGap` can reach (bins 0 .. n-1); 1 without edges. */
  reachableBins(maxGap: number): number {
    const e = this.config.balanceEdges;
    if (!e) return 1;
    let reachable = 1;
    while (reachable <= e.length && e[reachable - 1] <= maxGap) reachable++;
    return reachable;
  }

  /** A gap uniform in `bin` (all of [0, maxGap] without edges), up to `maxGap`. */
  private gapIn(bin: number, maxGap: number, rng: Rng): number {
    const e = this.config.balanceEdges;
    if (!e) return rng.int(maxGap + 1);
    const lo = bin === 0 ? 0 : e[bin - 1];
    const hi = bin < e.length ? Math.min(e[bin] - 1, maxGap) : maxGap;
    return lo + rng.int(hi - lo + 1);
  }

  private placeOne(source: number, maxGap: number, gap: number, rng: Rng): SegmentPlacement {
    const early = rng.int(maxGap - gap + 1);
    const late = early + this.config.segmentLength + gap;
    const swap = rng.next() < 0.5;
    return { source, firstStart: swap ? late : early, secondStart: swap ? early : late };
  }

  /** Where the pairs of a batch with these valid lengths go (no tensors). */
  place(lengths: readonly number[], rng: Rng): SegmentPlacement[] {
    const S = this.config.segmentLength;
    const maxGaps = lengths.map((L) => L - 2 * S);
    const eligible = maxGaps.flatMap((g, b) => (g >= 0 ? [b] : []));
    const out: SegmentPlacement[] = [];
    if (this.config.balanceEdges && (this.config.balance ?? 'batch') === 'batch') {
      const reach = maxGaps.map((g) => (g >= 0 ? this.reachableBins(g) : 0));
      const bins = Math.max(0, ...reach);
      for (let p = 0; p < eligible.length * this.config.pairsPerItem; p++) {
        const bin = rng.int(bins);
        const holders = eligible.filter((b) => reach[b] > bin);
        const b = holders[rng.int(holders.length)];
        out.push(this.placeOne(b, maxGaps[b], this.gapIn(bin, maxGaps[b], rng), rng));
      }
      return out;
    }
    for (const b of eligible) {
      for (let p = 0; p < this.config.pairsPerItem; p++) {
        const bin = this.config.balanceEdges ? rng.int(this.reachableBins(maxGaps[b])) : 0;
        out.push(this.placeOne(b, maxGaps[b], this.gapIn(bin, maxGaps[b], rng), rng));
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
