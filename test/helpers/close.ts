import assert from 'node:assert/strict';

/**
 * max_i |actual[i] - expected[i]| <= rtol * max(max_i |expected[i]|, floor): every element within a tolerance
 * relative to the largest expected magnitude (the floor keeps an all-zero expectation from demanding
 * exact zeros). The message names the worst element, both values and the relative error.
 */
export function assertRelClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, what: string, floor = 1e-6): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = floor;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  let worst = -1;
  let err = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.abs(actual[i] - expected[i]);
    if (!(e <= err) || worst < 0) [err, worst] = [e, i];  // NaN counts as the worst
  }
  if (worst >= 0) assert.ok(err <= rtol * scale, `${what}[${worst}]: ${actual[worst]} vs ${expected[worst]} (relative error ${err / scale} > ${rtol})`);
}
