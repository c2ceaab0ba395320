import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignLabelsToFrames, labelDurationMismatch, labelIndicesForFrames } from '../../src/methods/label-alignment.ts';

test('label alignment: 100 Hz labels on a 50 Hz encoder keep every second label', () => {
  const labels = Array.from({ length: 100 }, (_, i) => 1000 + i);
  const out = alignLabelsToFrames(labels, 50, { labelRate: 100, frameRate: 50 });
  assert.equal(out.numFrames, 50);
  assert.deepEqual(Array.from(out.labels), Array.from({ length: 50 }, (_, t) => 1000 + 2 * t));
});

test('label alignment: frames without a label are trimmed (fairseq forward_targets)', () => {
  // 99 labels at 100 Hz cover 49.5 encoder frames: 2 * 50 > 99, so frames = floor(99 / 2) = 49.
  assert.equal(labelIndicesForFrames(50, 99, { labelRate: 100, frameRate: 50 }).length, 49);
  // More labels than needed: nothing trimmed.
  assert.equal(labelIndicesForFrames(50, 103, { labelRate: 100, frameRate: 50 }).length, 50);
  // Equal rates: the identity, trimmed to the shorter of the two.
  assert.deepEqual(Array.from(labelIndicesForFrames(5, 4, { labelRate: 50, frameRate: 50 })), [0, 1, 2, 3]);
});

test('label alignment: other ratios floor t * ratio', () => {
  // 100 Hz labels, 40 Hz frames: ratio 2.5 -> 0, 2, 5, 7, 10
  assert.deepEqual(Array.from(labelIndicesForFrames(5, 100, { labelRate: 100, frameRate: 40 })), [0, 2, 5, 7, 10]);
  // 25 Hz labels, 50 Hz frames: each label serves two frames.
  assert.deepEqual(Array.from(alignLabelsToFrames([7, 8, 9], 6, { labelRate: 25, frameRate: 50 }).labels), [7, 7, 8, 8, 9, 9]);
  assert.throws(() => labelIndicesForFrames(5, 10, { labelRate: 0, frameRate: 50 }), /labelRate/);
});

test('label alignment: duration mismatch flags the 100-vs-50 Hz mistake', () => {
  // 1 s of 16 kHz audio with 100 labels at 100 Hz: fine; the same labels read as 50 Hz: 2 s, 1 s off.
  assert.equal(labelDurationMismatch(16000, 16000, 100, 100), null);
  assert.equal(labelDurationMismatch(16000, 16000, 99, 100), null);
  assert.equal(labelDurationMismatch(16000, 16000, 100, 50), 1);
  assert.equal(labelDurationMismatch(16000, 16000, 50, 100), -0.5);
});
