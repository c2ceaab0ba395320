import type { GraphBuilder } from './graph.ts';
import { DataType } from '../util/onnx-schema.ts';

/**
 * Padding inside exported graphs travels as frame counts ([B] int64, padding at the end of each row);
 * these convert between counts and [B, T] masks.
 */

/** [B] int64 lengths from a [B, T] float padding mask (1 = padding, at the end of each row). */
export function lengthsFromPaddingMask(g: GraphBuilder, mask: string): string {
  const padded = g.cast(g.reduceSum(mask, [1], false), DataType.INT64);
  return g.sub(g.squeeze(g.shape(mask, 1, 2), [0]), padded);
}

/** [B] int64 lengths of a batch without a mask: every row full. */
export function fullLengths(g: GraphBuilder, x: string): string {
  return g.expand(g.squeeze(g.shape(x, 1, 2), [0]), g.shape(x, 0, 1));
}

/** [B, T] float padding mask (1 = padding) for `lengths` [B] int64 over the time axis of `like` ([B, T, ...]). */
export function paddingMaskFromLengths(g: GraphBuilder, lengths: string, like: string, timeAxis = 1): string {
  const t = g.squeeze(g.shape(like, timeAxis, timeAxis + 1), [0]);
  const positions = g.unsqueeze(g.range(g.ints([0], []), t, g.ints([1], [])), [0]);
  return g.cast(g.not(g.less(positions, g.unsqueeze(lengths, [1]))), DataType.FLOAT);
}
