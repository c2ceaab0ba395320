import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.ts';
import { collateSequences, planSequenceBatches, type SequenceDataset } from '../../src/data/sequence.ts';
import { PlannedBatchSource } from '../../src/data/source.ts';

/** An in-memory dataset: item i has frames whose value is 100 * i + frame index, dims 2 (second = negative). */
function memoryDataset(lengths: number[], labels?: { perFrame: number }): SequenceDataset {
  return {
    size: lengths.length,
    dims: 2,
    isWaveform: false,
    labelSets: labels ? [{ file: 'mem.km', perFrame: labels.perFrame, numClasses: 1000 }] : [],
    length: (i) => lengths[i],
    id: (i) => `utt${i}`,
    read: (i, s, e) => {
      const out = new Float32Array((e - s) * 2);
      for (let t = s; t < e; t++) {
        out[(t - s) * 2] = 100 * i + t;
        out[(t - s) * 2 + 1] = -(100 * i + t);
      }
      return out;
    },
    labels: (_set, i) => Int32Array.from({ length: Math.round(lengths[i] * (labels?.perFrame ?? 1)) }, (_, k) => 10 * i + k),
  };
}

test('collate: pads with zeros and a padding mask, crops to maxFrames at a seeded offset, keeps labels aligned', () => {
  const ds = memoryDataset([5, 12, 3], { perFrame: 0.5 });
  const b = collateSequences(ds, [0, 1, 2], { maxFrames: 8, cropToShortest: false, randomCrop: true }, new Rng(4));
  assert.equal(b.kind, 'sequence');
  assert.deepEqual(b.shape, [3, 8, 2]);
  assert.deepEqual(b.lengths, [5, 8, 3]);
  assert.deepEqual(b.offsets.filter((_, i) => i !== 1), [0, 0]);
  const off = b.offsets[1];
  assert.ok(off >= 0 && off <= 4);
  // Item 1's crop: frames off..off+7 of utterance 1.
  for (let t = 0; t < 8; t++) assert.equal(b.inputs[(1 * 8 + t) * 2], 100 + off + t);
  // Item 0: 5 frames then zero padding; mask 1 on padding only.
  assert.deepEqual(Array.from(b.inputs.subarray(0, 16)), [0, -0, 1, -1, 2, -2, 3, -3, 4, -4, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(b.paddingMask.subarray(0, 8)), [0, 0, 0, 0, 0, 1, 1, 1]);
  assert.deepEqual(Array.from(b.paddingMask.subarray(16, 24)), [0, 0, 0, 1, 1, 1, 1, 1]);
  // Labels at half the frame rate: item 1's crop starts at label round(off / 2), 4 labels.
  const L = b.labels[0].shape[1];
  assert.equal(L, 4);
  const from = Math.round(off * 0.5);
  assert.deepEqual(Array.from(b.labels[0].data.subarray(L, 2 * L)), [10 + from, 11 + from, 12 + from, 13 + from]);
  assert.deepEqual(b.labels[0].lengths, [3, 4, 2]); // round(5 * .5) = 3 (2.5 rounds up), 4, round(1.5) = 2
  assert.deepEqual(Array.from(b.labels[0].data.subarray(2 * L, 3 * L)), [20, 21, -1, -1]);
  // Same rng seed, same crop; evaluation crops from the start.
  assert.deepEqual(collateSequences(ds, [0, 1, 2], { maxFrames: 8, cropToShortest: false, randomCrop: true }, new Rng(4)).offsets, b.offsets);
  assert.deepEqual(collateSequences(ds, [1], { maxFrames: 8, cropToShortest: false, randomCrop: false }, new Rng(4)).offsets, [0]);
  const short = collateSequences(ds, [0, 1, 2], { maxFrames: 0, cropToShortest: true, randomCrop: true }, new Rng(1));
  assert.deepEqual(short.shape, [3, 3, 2]);
  assert.ok(short.paddingMask.every((v) => v === 0));
});

test('planning: every item once per epoch, batches within batchSize and maxTokens, bucketed by length, seeded', () => {
  const rng = new Rng(3);
  const lengths = Array.from({ length: 50 }, () => 1 + rng.int(40));
  lengths[7] = 0; // empty: left out
  const opts = { batchSize: 6, maxTokens: 100, maxFrames: 30, minFrames: 2, bucket: true, shuffle: true };
  const batches = planSequenceBatches(lengths, opts, new Rng(9));
  const all = batches.flat().sort((a, b) => a - b);
  assert.deepEqual(all, lengths.map((n, i) => (n >= 2 ? i : -1)).filter((i) => i >= 0));
  for (const b of batches) {
    const longest = Math.max(...b.map((i) => Math.min(lengths[i], 30)));
    assert.ok(b.length <= 6);
    assert.ok(b.length === 1 || b.length * longest <= 100, `batch over maxTokens: ${b.length} x ${longest}`);
  }
  // Bucketing keeps lengths in a batch close: the spread within batches is far below the overall spread.
  const spread = batches.map((b) => Math.max(...b.map((i) => Math.min(lengths[i], 30))) - Math.min(...b.map((i) => Math.min(lengths[i], 30))));
  assert.ok(Math.max(...spread) <= 6, `spread ${spread}`);
  assert.deepEqual(planSequenceBatches(lengths, opts, new Rng(9)), batches);
  assert.notDeepEqual(planSequenceBatches(lengths, opts, new Rng(10)), batches);
  const ordered = planSequenceBatches([3, 3, 3, 3, 3], { ...opts, bucket: false, shuffle: false }, new Rng(0));
  assert.deepEqual(ordered, [[0, 1, 2, 3, 4]]);
});

test('planned source: epochs roll over with a new order; a restored state continues with the same batches', async () => {
  const ds = memoryDataset([4, 6, 8, 5, 7, 9, 3]);
  const lengths = Array.from({ length: ds.size }, (_, i) => ds.length(i));
  const make = () =>
    new PlannedBatchSource({
      seed: 11,
      plan: (_e, rng) => planSequenceBatches(lengths, { batchSize: 2, maxTokens: 0, maxFrames: 5, minFrames: 1, bucket: true, shuffle: true }, rng),
      collate: (idx, rng) => collateSequences(ds, idx, { maxFrames: 5, cropToShortest: false, randomCrop: true }, rng),
    });
  const a = make();
  const seen: string[] = [];
  for (let k = 0; k < 4; k++) seen.push(JSON.stringify(await a.next()));
  assert.equal(a.batchesPerEpoch, 4);
  assert.equal(a.epoch, 0);
  const epoch0 = (a.getState() as { batches: number[][] }).batches;
  const state = a.getState();
  const rest: string[] = [];
  for (let k = 0; k < 6; k++) rest.push(JSON.stringify(await a.next()));
  assert.equal(a.epoch, 2);
  assert.notDeepEqual((a.getState() as { batches: number[][] }).batches, epoch0, 'a new order each epoch');
  const b = make();
  b.setState(JSON.parse(JSON.stringify(state)));
  for (let k = 0; k < 6; k++) assert.equal(JSON.stringify(await b.next()), rest[k], `batch ${k} after restore`);
  assert.throws(() => b.setState({ epoch: 0, position: 9, batches: [[1]] }), /data state/);
});
