/**
 * How hard is the fsdd temporal-gap task itself? Draws segment pairs exactly as the method does
 * (SegmentPairSampler, conf/temporal-gap.yaml: 10-frame segments, gap bins [0, 5), [5, 15), >= 15
 * frames, balanced over the batch's pairs (`batch`, batches of 16 in corpus order, the default) or over
 * the bins each recording reaches (`recording`, the method before 2026-12-07), order random) from the
 * recipe's 80-bin fbank of
 * every recording, and fits this project's linear probe (leave one speaker out) on fixed features of the
 * two segments: each segment's mean log-mel, given to the classifier as the method's head sees its two
 * embeddings (concatenated, order random) or as symmetric pair features (|a - b| and a * b). Also the
 * share of pairs whose two segments are both silence (every frame more than 35 dB under the recording's
 * loudest), which no encoder can place.
 *
 *   node --import tsx scripts/analysis/gap-task-ceiling.ts exp/fsdd/fbank exp/fsdd/data/all.tsv [pairsPerItem] [batch|recording]
 */
import { openEvalCorpus, readAllUtterances } from '../../src/eval/eval-corpus.ts';
import { SegmentPairSampler } from '../../src/methods/segment-pair-sampler.ts';
import { evaluateProbeFolds } from '../../src/eval/fold-evaluation.ts';
import { encodeValues, fieldOf, leaveOneGroupOut, parseFieldSpec } from '../../src/eval/utterance-fields.ts';
import { Rng } from '../../src/util/rng.ts';

const [feats, manifest, perItemArg, balanceArg] = process.argv.slice(2);
const balance = (balanceArg ?? 'batch') as 'batch' | 'recording';
if (balance !== 'batch' && balance !== 'recording') throw new Error(`balance: expected batch or recording, got ${String(balanceArg)}`);
const corpus = openEvalCorpus(feats, { split: 'all', manifest });
const utts = readAllUtterances(corpus);
const D = corpus.set.dims, S = 10, edges = [5, 15];
const sampler = new SegmentPairSampler({ segmentLength: S, balanceEdges: edges, balance, pairsPerItem: Number(perItemArg ?? 4) });
const rng = new Rng(1);
const speakers = encodeValues(corpus.names.map((n) => fieldOf(n, parseFieldSpec('1', 'speaker'))));
const concatRows: number[][] = [], symRows: number[][] = [], labels: number[] = [], groups: number[] = [];
const orderRows: number[][] = [], orderLabels: number[] = [];
let silentPairs = 0;
const segMean = (x: Float32Array, start: number) => Array.from({ length: D }, (_, c) => {
  let s = 0;
  for (let t = start; t < start + S; t++) s += x[t * D + c];
  return s / S;
});
const lengths = utts.map((x) => x.length / D);
const BATCH = 16;
for (let start = 0; start < utts.length; start += BATCH) {
  const rows = lengths.slice(start, start + BATCH);
  for (const p of sampler.place(rows, rng)) addPair(start + p.source, p.firstStart, p.secondStart);
}
function addPair(u: number, firstStart: number, secondStart: number): void {
  const x = utts[u];
  const T = lengths[u];
  const energy = Array.from({ length: T }, (_, t) => {
    let m = 0;
    for (let c = 0; c < D; c++) m += x[t * D + c] / D;
    return m;
  });
  const loud = Math.max(...energy);
  const silent = (start: number) => energy.slice(start, start + S).every((e) => (loud - e) * (10 / Math.LN10) > 35);
  const gap = Math.abs(secondStart - firstStart) - S;
  const bin = gap < edges[0] ? 0 : gap < edges[1] ? 1 : 2;
  const a = segMean(x, firstStart), b = segMean(x, secondStart);
  concatRows.push([...a, ...b]);
  symRows.push([...a.map((v, c) => Math.abs(v - b[c])), ...a.map((v, c) => v * b[c])]);
  labels.push(bin);
  orderRows.push([...a, ...b]);
  orderLabels.push(secondStart < firstStart ? 1 : 0);
  groups.push(speakers.ids[u]);
  if (silent(firstStart) && silent(secondStart)) silentPairs++;
}
const folds = leaveOneGroupOut(Int32Array.from(groups), speakers.names);
const y = Int32Array.from(labels);
const counts = [0, 1, 2].map((k) => labels.filter((l) => l === k).length);
const probe = (rows: number[][], labelsOf = y, classes = 3) => evaluateProbeFolds(Float32Array.from(rows.flat()), labelsOf, rows[0].length, classes, folds).mean.probe;
console.log(`balance ${balance}: pairs ${labels.length} (bins ${counts.join(' / ')}; majority ${(100 * Math.max(...counts) / labels.length).toFixed(1)}%), both segments silent: ${(100 * silentPairs / labels.length).toFixed(1)}%`);
console.log(`linear probe, segment log-mel means concatenated (the head's input, order random): ${(100 * probe(concatRows)).toFixed(1)}%`);
console.log(`linear probe, symmetric pair features |a - b|, a * b: ${(100 * probe(symRows)).toFixed(1)}%`);
console.log(`linear probe, which segment comes first (concatenated, 2 classes, chance 50%): ${(100 * probe(orderRows, Int32Array.from(orderLabels), 2)).toFixed(1)}%`);
