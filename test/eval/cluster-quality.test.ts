import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jointCounts, clusterQuality } from '../../src/eval/cluster-quality.ts';
import { selectSpeechFrames, logEnergyFromWaveform, logEnergyFromFeatures } from '../../src/eval/speech-frames.ts';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('purity and PNMI on a hand-computed 2 x 3 table', () => {
  // Joint counts: y0: z0 3, z1 1, z2 0; y1: z0 0, z1 2, z2 2 (T = 8).
  const ref = Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1]);
  const clu = Int32Array.from([0, 0, 0, 1, 1, 1, 2, 2]);
  const q = clusterQuality(jointCounts([{ ref, cluster: clu }], 2, 3));
  close(q.phonePurity, 7 / 8); // (3 + 2 + 2) / 8
  close(q.clusterPurity, 5 / 8); // (3 + 2) / 8
  const mi = (3 / 8) * Math.log(2) + (1 / 8) * Math.log(2 / 3) + (1 / 4) * Math.log(4 / 3) + (1 / 4) * Math.log(2);
  close(q.mutualInformation, mi);
  close(q.refEntropy, Math.log(2));
  close(q.pnmi, mi / Math.log(2));
  assert.equal(q.frames, 8);
  assert.equal(q.clustersUsed, 3);
});

test('masked frames are left out; perfect and independent clusterings give PNMI 1 and 0', () => {
  const ref = Int32Array.from([0, 0, 1, 1]);
  const perfect = clusterQuality(jointCounts([{ ref, cluster: Int32Array.from([2, 2, 0, 0]) }], 2, 3));
  close(perfect.pnmi, 1);
  close(perfect.phonePurity, 1);
  const indep = clusterQuality(jointCounts([{ ref, cluster: Int32Array.from([0, 1, 0, 1]) }], 2, 2));
  close(indep.pnmi, 0);
  close(indep.phonePurity, 0.5);
  close(indep.clusterPurity, 0.5);
  // Masking the two frames that disagree makes the clustering perfect.
  const masked = clusterQuality(jointCounts([{ ref: Int32Array.from([0, 0, 1, 1, 1]), cluster: Int32Array.from([0, 1, 1, 1, 0]), mask: Uint8Array.from([1, 0, 1, 1, 0]) }], 2, 2));
  assert.equal(masked.frames, 3);
  close(masked.pnmi, 1);
  assert.throws(() => jointCounts([{ ref: Int32Array.from([0]), cluster: Int32Array.from([0, 1]) }], 2, 2), /1 reference labels but 2 cluster ids/);
});

test('energy speech-frame selector: frames within the dynamic range of the loudest', () => {
  // ln power: 0 (loudest), -ln(10) (10 dB down), -5 ln(10) (50 dB down)
  const e = [0, -Math.LN10, -5 * Math.LN10, -3 * Math.LN10];
  assert.deepEqual([...selectSpeechFrames(e, { dynamicRangeDb: 35 })], [1, 1, 0, 1]);
  assert.deepEqual([...selectSpeechFrames(e, { dynamicRangeDb: 20 })], [1, 1, 0, 0]);
  // A waveform: 0.1 s near-silence, 0.1 s tone, at 8 kHz; frames of 25 ms every 10 ms.
  const sr = 8000, x = new Float32Array(1600);
  for (let i = 0; i < 1600; i++) x[i] = i < 800 ? 1e-4 * Math.sin(i) : 0.5 * Math.sin((2 * Math.PI * 440 * i) / sr);
  const le = logEnergyFromWaveform(x, sr);
  assert.equal(le.length, 1 + Math.floor((1600 - 200) / 80));
  const speech = selectSpeechFrames(le);
  assert.equal(speech[0], 0);
  assert.equal(speech[le.length - 1], 1);
  // Features: c0 scaled by sqrt(23), mean of columns, or a column as is.
  const f = Float32Array.from([23, 1, 2, 46, 3, 4]);
  assert.deepEqual([...logEnergyFromFeatures(f, 3, 'c0')].map((v) => +v.toFixed(5)), [+(23 / Math.sqrt(23)).toFixed(5), +(46 / Math.sqrt(23)).toFixed(5)]);
  assert.deepEqual([...logEnergyFromFeatures(f, 3, 'mean')], [26 / 3, 53 / 3].map(Math.fround));
  assert.deepEqual([...logEnergyFromFeatures(f, 3, 2)], [2, 4]);
});
