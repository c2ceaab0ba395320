import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LrSchedule, cosineInterpolate, linearInterpolate } from '../../src/train/schedule.ts';

const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('warmup rises linearly from peak/warmup to peak over warmupSteps updates', () => {
  const s = new LrSchedule({ kind: 'linear', peakLr: 1e-3, warmupSteps: 4, totalSteps: 14 });
  near(s.lrAt(0), 0.25e-3, 'step 0');
  near(s.lrAt(1), 0.5e-3, 'step 1');
  near(s.lrAt(3), 1e-3, 'step 3');
  near(s.lrAt(4), 1e-3, 'step 4 (decay starts at peak)');
});

test('linear decay: halfway through the decay span the rate is halfway to finalLr, then stays there', () => {
  // warmup 4, total 14: decay over 10 updates from 1e-3 to 0.1 * 1e-3.
  const s = new LrSchedule({ kind: 'linear', peakLr: 1e-3, warmupSteps: 4, totalSteps: 14, finalLrScale: 0.1 });
  near(s.lrAt(9), 1e-3 - 0.5 * 0.9e-3, 'step 9');
  near(s.lrAt(13), 1e-3 - 0.9 * 0.9e-3, 'step 13');
  near(s.lrAt(14), 1e-4, 'step 14');
  near(s.lrAt(100), 1e-4, 'past the end');
});

test('cosine decay: peak, the midpoint average, final; and a monotone fall', () => {
  const s = new LrSchedule({ kind: 'cosine', peakLr: 2, warmupSteps: 0, totalSteps: 8, finalLrScale: 0 });
  near(s.lrAt(0), 2, 'start');
  near(s.lrAt(2), 1 + Math.cos(Math.PI / 4), 'quarter'); // 2 * 0.5 * (1 + cos(pi/4))
  near(s.lrAt(4), 1, 'midpoint');
  near(s.lrAt(8), 0, 'end');
  for (let k = 1; k <= 8; k++) assert.ok(s.lrAt(k) < s.lrAt(k - 1), `falls at ${k}`);
});

test('constant keeps the peak after warmup regardless of totalSteps', () => {
  const s = new LrSchedule({ kind: 'constant', peakLr: 3e-4, warmupSteps: 2, totalSteps: 1 });
  near(s.lrAt(0), 1.5e-4, 'warmup');
  near(s.lrAt(1), 3e-4, 'peak');
  near(s.lrAt(10_000), 3e-4, 'later');
});

test('interpolation helpers (used for BYOL tau and temperature schedules) clamp progress', () => {
  near(cosineInterpolate(0.99, 1, 0), 0.99, 'cos start');
  near(cosineInterpolate(0.99, 1, 0.5), 0.995, 'cos mid');
  near(cosineInterpolate(0.99, 1, 2), 1, 'cos clamped');
  near(linearInterpolate(2, 0.5, 0.25), 1.625, 'lin');
  near(linearInterpolate(2, 0.5, -1), 2, 'lin clamped');
});

test('bad configs are refused naming the field', () => {
  assert.throws(() => new LrSchedule({ kind: 'step' as 'linear' }), /schedule\.kind: expected one of constant\|linear\|cosine/);
  assert.throws(() => new LrSchedule({ warmupSteps: 1.5 }), /schedule\.warmupSteps/);
  assert.throws(() => new LrSchedule({ warmupSteps: 20, totalSteps: 10 }), /warmupSteps: 20 exceeds totalSteps 10/);
  assert.throws(() => new LrSchedule({ peakLr: -1 }), /schedule\.peakLr/);
  assert.throws(() => new LrSchedule({ finalLrScale: 2 }), /schedule\.finalLrScale/);
  assert.throws(() => new LrSchedule().lrAt(-1), /step must be an integer/);
});
