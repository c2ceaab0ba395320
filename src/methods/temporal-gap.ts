import type { SequenceBatch } from '../data/sequence.ts';
import type { Fields } from '../util/fields.ts';
import { InputError } from '../util/errors.ts';
import type { MethodBuildContext, MethodDefinition } from './method.ts';
import { PairRelationMethod, type PairHeadInput, type PairTarget } from './pair-relation.ts';
import { SegmentPairSampler, type GapBalance } from './segment-pair-sampler.ts';
import { GapBinsTarget, GapRegressionTarget } from './gap-targets.ts';
import type { RegressionKind } from './losses/regression.ts';
import { RelativePositionPairSampler } from './relative-position-pair-sampler.ts';
import { NeighbourTarget } from './neighbour-target.ts';
import { checkPatchInputs } from './patch-encoder-check.ts';
import type { ImageTrainBatch } from '../data/image-batch.ts';

/**
 * Temporal gap: two segments of one recording, each embedded by the shared encoder on its own (so
 * neither sees the other or where it sits in the recording), and a head that says how far apart they
 * are: the gap bin (default), the gap itself (`target: regression`), and with `orderAware` also which
 * segment came first. Lengths and edges are in input steps: feature frames (10 ms for fbank), or samples
 * for waveform data. See segment-pair-sampler.ts for the draws and gap-targets.ts for the labels.
 *
 *   {segmentLength: 8, gapBins: [4, 12], target: bins, orderAware: false, headHidden: 256}
 *
 * The head reads [e_A, e_B] (`headInput: concat`) or, for an order-blind target, the symmetric
 * [|e_A - e_B|, e_A * e_B] (`headInput: symmetric`; refused with orderAware, which needs the order).
 * Gap bins are balanced over the batch's pairs (`balance: batch`, default) or per recording
 * (`balance: recording`, before 2026-12-07: short recordings reach only the near bins, so those dominate).
 *
 * The same method on images is relative patch position (Doersch et al. 2015): `sampler` swaps the 1-D
 * segment sampler for the 2-D one (relative-position-pair-sampler.ts) and the target becomes which of the
 * 8 neighbours of the centre patch the second patch is (neighbour-target.ts); head and loop are the same.
 *
 *   {sampler: {kind: relative-position, patchSize: 8, gap: 3, jitter: 1}, pairsPerItem: 2, headHidden: 256}
 *
 * The segment fields (segmentLength, gapBins, target, orderAware, regressionLoss, balanceBins, balance) belong to
 * the `segments` sampler; a relative-position config that sets one to other than its default is refused.
 */
export type GapSamplerConfig = { kind: 'segments' } | { kind: 'relative-position'; patchSize: number; gap: number; jitter: number };

export const RELATIVE_POSITION_DEFAULTS = { patchSize: 8, gap: 3, jitter: 1 };

const SEGMENT_FIELDS = ['segmentLength', 'gapBins', 'target', 'orderAware', 'regressionLoss', 'balanceBins', 'balance', 'headInput'] as const;

export interface TemporalGapConfig {
  /** What the two views are: audio segments (default) or image patches. */
  sampler: GapSamplerConfig;
  segmentLength: number;
  /** Ascending gap bin edges: classes [0, e1), [e1, e2), ..., [e_n, inf). */
  gapBins: number[];
  target: 'bins' | 'regression';
  /** Also predict the order (signed gap): twice the classes, or a signed regression target. */
  orderAware: boolean;
  regressionLoss: RegressionKind;
  /** Balance the drawn gaps over the bins (classification); regression draws gaps uniformly. */
  balanceBins: boolean;
  /** Over what the bins are balanced: the batch's pairs, or each recording's reachable bins. */
  balance: GapBalance;
  /** What the head reads: the ordered [e_A, e_B] or the order-blind [|e_A - e_B|, e_A * e_B]. */
  headInput: PairHeadInput;
  pairsPerItem: number;
  /** Hidden width of the head (0: one linear layer on [e_A, e_B]). */
  headHidden: number;
}

export const TEMPORAL_GAP_DEFAULTS: TemporalGapConfig = {
  sampler: { kind: 'segments' },
  segmentLength: 8,
  gapBins: [4, 12],
  target: 'bins',
  orderAware: false,
  regressionLoss: 'smooth-l1',
  balanceBins: true,
  balance: 'batch',
  headInput: 'concat',
  pairsPerItem: 1,
  headHidden: 256,
};

export type TemporalGapMethod = PairRelationMethod<SequenceBatch>;
/** The image variant (`sampler: {kind: relative-position}`). */
export type RelativePositionMethod = PairRelationMethod<ImageTrainBatch>;

function readSampler(f: Fields): GapSamplerConfig {
  if (!f.has('sampler')) return TEMPORAL_GAP_DEFAULTS.sampler;
  const s = f.object('sampler');
  const kind = s.choice('kind', ['segments', 'relative-position'] as const, 'segments');
  if (kind === 'segments') {
    s.done();
    return { kind };
  }
  const d = RELATIVE_POSITION_DEFAULTS;
  const patchSize = s.int('patchSize', d.patchSize, { min: 1 });
  const gap = s.int('gap', d.gap, { min: 0 });
  const jitter = s.int('jitter', d.jitter, { min: 0 });
  if (!(gap > 2 * jitter)) s.fail('gap', `must exceed twice the jitter (${jitter}) so that two patches never touch, got ${gap}`);
  s.done();
  return { kind, patchSize, gap, jitter };
}

function readTemporalGapConfig(f: Fields): TemporalGapConfig {
  const d = TEMPORAL_GAP_DEFAULTS;
  const sampler = readSampler(f);
  const c: TemporalGapConfig = {
    sampler,
    segmentLength: f.int('segmentLength', d.segmentLength, { min: 1 }),
    gapBins: f.numberList('gapBins', d.gapBins, { integer: true, min: 1 }),
    target: f.choice('target', ['bins', 'regression'] as const, d.target),
    orderAware: f.bool('orderAware', d.orderAware),
    regressionLoss: f.choice('regressionLoss', ['mse', 'l1', 'smooth-l1'] as const, d.regressionLoss),
    balanceBins: f.bool('balanceBins', d.balanceBins),
    balance: f.choice('balance', ['batch', 'recording'] as const, d.balance),
    headInput: f.choice('headInput', ['concat', 'symmetric'] as const, d.headInput),
    pairsPerItem: f.int('pairsPerItem', d.pairsPerItem, { min: 1 }),
    headHidden: f.int('headHidden', d.headHidden, { min: 0 }),
  };
  if (sampler.kind === 'relative-position') {
    // Set to their defaults they are harmless (the resolved config a resume re-reads holds every field).
    for (const name of SEGMENT_FIELDS) {
      if (JSON.stringify(c[name]) !== JSON.stringify(d[name])) f.fail(name, `belongs to the segments sampler (audio); the relative-position sampler's target is one of the 8 neighbours`);
    }
  }
  for (let i = 1; i < c.gapBins.length; i++) if (!(c.gapBins[i] > c.gapBins[i - 1])) f.fail('gapBins', `expected ascending edges, got [${c.gapBins.join(', ')}]`);
  if (c.headInput === 'symmetric' && c.orderAware) f.fail('headInput', 'symmetric pair features cannot tell which segment came first; orderAware needs headInput: concat');
  if (c.target === 'bins' && c.gapBins.length === 0 && !c.orderAware) f.fail('gapBins', 'expected at least one edge (one bin is no task), or orderAware: true');
  f.done();
  return c;
}

export const temporalGapDefinition: MethodDefinition<TemporalGapConfig> = {
  readConfig: readTemporalGapConfig,
  create(c: TemporalGapConfig, ctx: MethodBuildContext): TemporalGapMethod | RelativePositionMethod {
    if (c.sampler.kind === 'relative-position') {
      const { patchSize, gap, jitter } = c.sampler;
      checkPatchInputs(`method ${ctx.key} (temporal-gap)`, ctx.encoder, ctx.data.image, { rows: 3, cols: 3, patchSize, gap, jitter }, `method ${ctx.key} (temporal-gap) config.sampler`);
      const sampler = new RelativePositionPairSampler({ patchSize, gap, jitter, pairsPerItem: c.pairsPerItem });
      return new PairRelationMethod<ImageTrainBatch>('temporal-gap', ctx.key, sampler, new NeighbourTarget(), ctx.encoder, c.headHidden, ctx.rng);
    }
    if (!(ctx.encoder.outputLength(c.segmentLength) >= 1)) {
      throw new InputError(`a segment of ${c.segmentLength} input steps gives ${ctx.encoder.outputLength(c.segmentLength)} encoder frames; raise segmentLength`, { field: `method ${ctx.key} (temporal-gap) config.segmentLength` });
    }
    const classify = c.target === 'bins';
    const sampler = new SegmentPairSampler({ segmentLength: c.segmentLength, balanceEdges: classify && c.balanceBins ? c.gapBins : null, balance: c.balance, pairsPerItem: c.pairsPerItem });
    const target: PairTarget = classify ? new GapBinsTarget(c.segmentLength, c.gapBins, c.orderAware) : new GapRegressionTarget(c.segmentLength, c.regressionLoss, c.orderAware);
    return new PairRelationMethod<SequenceBatch>('temporal-gap', ctx.key, sampler, target, ctx.encoder, c.headHidden, ctx.rng, c.headInput);
  },
};
