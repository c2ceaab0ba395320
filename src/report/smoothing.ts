/**
 * TensorBoard's scalar smoothing: an exponential moving average with weight `w` in [0, 1), debiased
 * like Adam's moments so the first points are not pulled toward zero:
 *   last = w * last + (1 - w) * y_i;  smoothed_i = last / (1 - w^n)   (n = finite points so far)
 * Non-finite values pass through unsmoothed and do not enter the average. w = 0 returns the values.
 */
export function emaSmooth(values: number[], w: number): number[] {
  if (!(w >= 0 && w < 1)) throw new RangeError(`smoothing weight ${w}: expected a number in [0, 1)`);
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (!Number.isFinite(v)) return v;
    last = last * w + (1 - w) * v;
    n += 1;
    return w === 0 ? v : last / (1 - w ** n);
  });
}
