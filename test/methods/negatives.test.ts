import { test } from 'node:test';
import assert from 'node:assert/strict';
import '@tensorflow/tfjs-backend-cpu';
import { HARDNESS_BAND_DEFAULTS, duplicatesOfPositive, makeNegativeSampler, negativeIndicesTensor, type NegativeQuery } from '../../src/methods/negatives.ts';
import { Rng } from '../../src/util/rng.ts';

/** Two utterances of 10 frames, the second padded after 6: candidates 0..9 and 10..15. */
function query(): NegativeQuery {
  const candidateUtterance = new Int32Array(20).fill(-1);
  for (let t = 0; t < 10; t++) candidateUtterance[t] = 0;
  for (let t = 0; t < 6; t++) candidateUtterance[10 + t] = 1;
  // anchors: frame 2 of utt 0 (positive 3), frame 12 of utt 1 (positive 13)
  return { anchorUtterance: [0, 1], positive: [3, 13], candidateUtterance };
}

test('negatives: same-utterance draws uniformly from the own utterance, never the positive or padding', () => {
  const s = makeNegativeSampler({ kind: 'same-utterance' });
  const k = 9000;
  const neg = s.sample(query(), k, new Rng(1));
  const counts = new Map<number, number>();
  for (let a = 0; a < 2; a++) {
    for (let i = 0; i < k; i++) {
      const j = neg.indices[a * k + i];
      if (a === 0) assert.ok(j >= 0 && j < 10 && j !== 3, `anchor 0 drew ${j}`);
      else assert.ok(j >= 10 && j < 16 && j !== 13, `anchor 1 drew ${j}`);
      counts.set(j, (counts.get(j) ?? 0) + 1);
    }
  }
  // anchor 0: 9 candidates, 1000 each expected (sd ~30); anchor 1: 5 candidates, 1800 each.
  for (const [j, c] of counts) assert.ok(Math.abs(c - (j < 10 ? 1000 : 1800)) < 150, `candidate ${j} drawn ${c} times`);
  assert.equal(counts.size, 14);
});

test('negatives: batch draws from every utterance; other-utterances only from the others', () => {
  const batch = makeNegativeSampler({ kind: 'batch' }).sample(query(), 2000, new Rng(2));
  const seen = new Set(batch.indices);
  assert.ok(!seen.has(16) && !seen.has(19), 'padding never drawn');
  assert.equal(seen.size, 16 - 1 + 1, 'all 16 candidates appear (each anchor excludes only its own positive)');
  for (let i = 0; i < 2000; i++) {
    assert.notEqual(batch.indices[i], 3);
    assert.notEqual(batch.indices[2000 + i], 13);
  }
  const other = makeNegativeSampler({ kind: 'other-utterances' }).sample(query(), 500, new Rng(3));
  for (let i = 0; i < 500; i++) {
    assert.ok(other.indices[i] >= 10 && other.indices[i] < 16);
    assert.ok(other.indices[500 + i] < 10);
  }
});

test('negatives: a pool holding only the positive falls back to the batch; an empty batch throws', () => {
  const q: NegativeQuery = { anchorUtterance: [0], positive: [0], candidateUtterance: [0, 1, 1] };
  const neg = makeNegativeSampler({ kind: 'same-utterance' }).sample(q, 50, new Rng(4));
  assert.ok(neg.indices.every((j) => j === 1 || j === 2));
  const lonely: NegativeQuery = { anchorUtterance: [0], positive: [0], candidateUtterance: [0, -1] };
  assert.throws(() => makeNegativeSampler({ kind: 'batch' }).sample(lonely, 5, new Rng(4)), /no candidate other than its positive/);
  assert.throws(() => makeNegativeSampler({ kind: 'batch' }).sample({ ...q, positive: [7] }, 5, new Rng(4)), /positive 7 of anchor 0/);
});

test('negatives: hardness band skips the most similar candidates and draws from the next band', () => {
  // One anchor, 21 candidates (positive = 0); similarity of candidate j is -j, so the ranking of the
  // 20 others is 1, 2, ..., 20. skip 0.1 -> skip 2 (candidates 1, 2); band 0.3 -> 6 (candidates 3..8).
  const n = 21;
  const q: NegativeQuery = {
    anchorUtterance: [0],
    positive: [0],
    candidateUtterance: new Int32Array(n),
    similarity: Float32Array.from({ length: n }, (_, j) => -j),
  };
  const s = makeNegativeSampler({ kind: 'hardness-band', pool: 'batch', skipFraction: 0.1, bandFraction: 0.3 });
  const neg = s.sample(q, 3000, new Rng(5));
  const seen = new Set(neg.indices);
  assert.deepEqual([...seen].sort((a, b) => a - b), [3, 4, 5, 6, 7, 8]);
  assert.throws(() => s.sample({ ...q, similarity: undefined }, 3, new Rng(5)), /needs a similarity matrix/);
  assert.throws(() => makeNegativeSampler({ ...HARDNESS_BAND_DEFAULTS, skipFraction: 1 }), /skipFraction/);
  // Same seed, same draws.
  assert.deepEqual(s.sample(q, 50, new Rng(6)).indices, s.sample(q, 50, new Rng(6)).indices);
});

test('negatives: index tensor and duplicates of the positive', () => {
  const neg = { numAnchors: 2, numNegatives: 3, indices: Int32Array.from([1, 2, 3, 0, 2, 3]) };
  const t = negativeIndicesTensor(neg);
  assert.deepEqual(t.shape, [2, 3]);
  assert.equal(t.dtype, 'int32');
  t.dispose();
  // rows 0 and 2 are identical vectors, 1 and 3 differ.
  const v = Float32Array.from([1, 2, 5, 5, 1, 2, 1, 2.0001]);
  assert.deepEqual(Array.from(duplicatesOfPositive(v, 2, [0, 1], neg)), [0, 1, 0, 0, 0, 0]);
});
