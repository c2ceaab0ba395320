import type { Fields } from '../util/fields.ts';
import { HARDNESS_BAND_DEFAULTS, type NegativePool, type NegativeStrategyConfig } from './negatives.ts';

/**
 * The `negatives` field of a contrastive method's config (CPC, wav2vec 2.0): one strategy object, read
 * the same way by every method that samples negatives, so a run can swap strategies without code.
 *
 *   negatives: {kind: same-utterance}            # other frames of the anchor's utterance (wav2vec 2.0)
 *   negatives: {kind: batch}                     # any frame of the batch (CPC_audio)
 *   negatives: {kind: other-utterances}          # only frames of the other utterances
 *   negatives: {kind: hardness-band, pool: batch, skipFraction: 0.1, bandFraction: 0.3}
 *
 * `hardness-band` ranks the pool by the method's own score (CPC: z_j . W_k c_t; wav2vec 2.0: the
 * cosine over the temperature), skips the top `skipFraction` (likely false negatives: the same sound
 * said again) and draws uniformly from the next `bandFraction`.
 */
export const NEGATIVE_POOLS: readonly NegativePool[] = ['same-utterance', 'batch', 'other-utterances'];
export const NEGATIVE_KINDS = [...NEGATIVE_POOLS, 'hardness-band'] as const;

/** Reads `negatives` of `f`; `def` is the method's default strategy (used when the field is absent). */
export function readNegativeStrategy(f: Fields, def: NegativeStrategyConfig): NegativeStrategyConfig {
  if (!f.has('negatives')) return def;
  const n = f.object('negatives');
  const kind = n.choice('kind', NEGATIVE_KINDS, def.kind);
  if (kind !== 'hardness-band') {
    n.done();
    return { kind };
  }
  // The band's pool defaults to the method's own default pool (wav2vec 2.0: same-utterance; CPC: batch).
  const d = def.kind === 'hardness-band' ? def : { ...HARDNESS_BAND_DEFAULTS, pool: def.kind };
  const pool = n.choice('pool', NEGATIVE_POOLS, d.pool);
  const skipFraction = n.number('skipFraction', d.skipFraction, { min: 0 });
  if (!(skipFraction < 1)) n.fail('skipFraction', `expected a number in [0, 1), got ${skipFraction}`);
  const bandFraction = n.number('bandFraction', d.bandFraction, { above: 0, max: 1 });
  n.done();
  return { kind, pool, skipFraction, bandFraction };
}
