import type { GraphBuilder } from './graph.ts';

/**
 * Patterns of several ONNX nodes for operations opset 17 has no single op for.
 */

/** Exact GELU: 0.5 x (1 + erf(x / sqrt 2)) (the `gelu` of PyTorch and tfjs without the tanh approximation). */
export function gelu(g: GraphBuilder, x: string): string {
  const inner = g.erf(g.mul(x, g.floats([Math.SQRT1_2])));
  return g.mul(g.mul(x, g.floats([0.5])), g.add(inner, g.floats([1])));
}

/**
 * Group normalisation of `x` [B, C, ...] (GroupNormalization arrives only in opset 18): statistics over
 * each group of C/groups channels and all positions, biased variance, then a per-channel affine
 * transform with `scale` and `bias` ([C]). `rank` is the rank of `x`.
 */
export function groupNorm(g: GraphBuilder, x: string, groups: number, scale: string, bias: string, epsilon: number, rank: number): string {
  if (rank < 3) throw new Error(`groupNorm: input rank ${rank}, expected [B, C, ...]`);
  const grouped = g.reshape(x, [0, groups, -1]);
  const mean = g.reduceMean(grouped, [2]);
  const centred = g.sub(grouped, mean);
  const variance = g.reduceMean(g.mul(centred, centred), [2]);
  const normed = g.div(centred, g.sqrt(g.add(variance, g.floats([epsilon]))));
  const back = g.reshape(normed, g.shape(x));
  const perChannel = Array.from({ length: rank - 2 }, (_, i) => i + 1);
  return g.add(g.mul(back, g.unsqueeze(scale, perChannel)), g.unsqueeze(bias, perChannel));
}

/** Mean over `axes` of a padded tensor, counting only positions where `keep` (same broadcastable shape, 1/0 float) is 1. */
export function maskedMean(g: GraphBuilder, x: string, keep: string, axes: number[]): string {
  const total = g.reduceSum(g.mul(x, keep), axes);
  const count = g.max(g.reduceSum(keep, axes), g.floats([1]));
  return g.div(total, count);
}
