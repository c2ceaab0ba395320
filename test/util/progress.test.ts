import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatMetric, formatNumber } from '../../src/util/progress.ts';

test('log values: the epoch counter prints as an integer, measured values keep their precision', () => {
  assert.equal(formatMetric('epoch', 0), '0');
  assert.equal(formatMetric('epoch', 1), '1');
  assert.equal(formatMetric('epoch', 12), '12');
  assert.equal(formatMetric('loss', 1), '1.00');
  assert.equal(formatMetric('loss', 0.25), '0.2500');
  assert.equal(formatMetric('epoch', 1.5), formatNumber(1.5));
});
