import { readFileSync } from 'node:fs';
import type { Command } from '../command.ts';
import type { Args } from '../../util/args.ts';
import { InputError } from '../../util/errors.ts';
import { Rng } from '../../util/rng.ts';
import { readNpy } from '../../util/npy.ts';
import { writeFileAtomic } from '../../util/atomic.ts';
import { readKmFile } from '../../cluster/km-labels.ts';
import { labelUtterances } from '../../cluster/label-features.ts';
import { openEvalCorpus, readAllUtterances, formatTable, type EvalCorpus } from '../../eval/eval-corpus.ts';
import { parseFieldSpec, fieldOf, encodeValues, leaveOneGroupOut, splitByLists, type Fold } from '../../eval/utterance-fields.ts';
import { evaluateProbeFolds, evaluateKnnFolds, type FoldSummary } from '../../eval/fold-evaluation.ts';
import { PROBE_DEFAULTS } from '../../eval/linear-probe.ts';
import { jointCounts, clusterQuality } from '../../eval/cluster-quality.ts';
import { selectSpeechFrames, logEnergyFromFeatures, SPEECH_FRAME_DEFAULTS, type FeatureEnergySource } from '../../eval/speech-frames.ts';
import { abx, ABX_DEFAULTS, type FrameDistance } from '../../eval/abx.ts';
import { parsePoolings, poolUtterances, pooledDims } from '../../eval/pooling.ts';
import { resolveLayerBlocks } from '../../eval/layer-blocks.ts';
import { layerSweep, layerSweepTable } from '../../eval/layer-sweep.ts';
import { IMAGE_EVAL_USAGE, runImageEval } from '../image-eval.ts';

const MODES = ['probe', 'knn', 'pnmi', 'abx'] as const;
type Mode = (typeof MODES)[number];
/** Modes that also take an image checkpoint (--checkpoint) or a random-init config (--random-init). */
const IMAGE_MODES = ['probe', 'knn', 'knn+probe'] as const;
type ImageMode = (typeof IMAGE_MODES)[number];

const isMode = (m: string): m is Mode => (MODES as readonly string[]).includes(m);
const isImageMode = (m: string): m is ImageMode => (IMAGE_MODES as readonly string[]).includes(m);

const command: Command = {
  summary: 'evaluate features: linear probe, kNN, PNMI/purity of clusters, ABX',
  booleanFlags: ['json', 'no-progress'],
  usage: `speech-ssl eval <probe|knn|pnmi|abx> FEATURES [options]

FEATURES: a folder of per-utterance .npy (names = relative paths), or shards / a .npy matrix with
--manifest M.tsv (or --names FILE, one name per line) giving each utterance's name.
Labels and groups come from the names: --label-field 0 --group-field 1 (fields of the basename split on "_",
FSDD's {digit}_{speaker}_{index}) or a regex with one capture group.

common:   --split NAME  --manifest FILE  --names FILE  --label-field F (0)  --group-field F (1)  --out FILE.json
          --json (print the result as one JSON line instead of the table)
probe:    pooled features, multinomial logistic regression (standardised, L-BFGS, --l2 ${PROBE_DEFAULTS.l2},
          --max-iter ${PROBE_DEFAULTS.maxIter}); leave-one-group-out, or --train-list/--test-list FILE
          --pool mean|mean+std|mean,mean+std (mean): mean over frames, or mean and standard deviation
          --layers all|N,M: features with several layers side by side (extract --layer all; --layer-dim D
          for others): a probe per layer, and with all the SUPERB weighted sum of every layer (softmax
          weights learned with the probe); prints accuracy by layer and pooling
knn:      same splits and --pool; cosine kNN with exp(sim/T) votes: --k 20,200 --temperature 0.07
pnmi:     cluster ids from --km FILE (a .km in feature order) or --centroids PREFIX; reference per frame from
          --ref FILE (.km-style frame labels) or the utterance label over speech frames, chosen by energy:
          --energy c0|mean|<column>|none (c0), --dynamic-range-db ${SPEECH_FRAME_DEFAULTS.dynamicRangeDb};
          --frames-per-label R when the ids run at 1/R of the feature rate (50 Hz ids on 100 Hz MFCC: 2)
abx:      DTW over frame-wise --distance angular|cosine (angular); categories = label field, speakers = group
          field; --per-cell N utterances per (speaker, category) (${ABX_DEFAULTS.maxPerCell}), --seed N
${IMAGE_EVAL_USAGE}`,
  async run(args: Args): Promise<number> {
    const mode = args.positionals[0] ?? '';
    const input = args.positionals[1];
    if (isImageMode(mode) && (args.has('checkpoint') || args.has('random-init'))) return runImageEval(mode, args);
    if (!isMode(mode)) throw new InputError(`expected a mode (${MODES.join('|')}), got "${mode}"`);
    if (!input) throw new InputError('missing FEATURES');
    const corpus = openEvalCorpus(input, { split: args.string('split'), manifest: args.string('manifest'), namesFile: args.string('names') });
    const labelSpec = parseFieldSpec(args.string('label-field', '0'), '--label-field');
    const groupSpec = parseFieldSpec(args.string('group-field', '1'), '--group-field');
    const out = args.string('out');
    // Tables for people; the result as one JSON line on stdout only with --json (and always in --out).
    const asJson = args.bool('json');
    const print = (table: string) => {
      if (!asJson) process.stdout.write(table);
    };
    const labels = encodeValues(corpus.names.map((n) => fieldOf(n, labelSpec)));
    let result: Record<string, unknown>;
    if (mode === 'probe' || mode === 'knn') {
      const folds = makeFolds(args, corpus, groupSpec);
      const l2 = args.number('l2', PROBE_DEFAULTS.l2);
      const maxIter = args.int('max-iter', PROBE_DEFAULTS.maxIter);
      const ks = args.string('k', '20,200').split(',').map(Number);
      const temperature = args.number('temperature', 0.07);
      const pools = parsePoolings(args.string('pool', 'mean'));
      const layersSpec = args.string('layers');
      const layerDim = args.int('layer-dim');
      args.rejectUnknown();
      if (ks.some((k) => !Number.isInteger(k) || k < 1)) throw new InputError('expected positive integers', { field: '--k' });
      if (layersSpec !== undefined && mode !== 'probe') throw new InputError('--layers goes with eval probe', { field: '--layers' });
      const d = corpus.set.dims, C = labels.names.length;
      const utts = readAllUtterances(corpus);
      if (layersSpec !== undefined) {
        const blocks = resolveLayerBlocks(layersSpec, input, d, layerDim);
        const log = (line: string) => process.stderr.write(`speech-ssl eval: ${line}\n`);
        const rows = layerSweep(utts, blocks.ids.length, blocks.dim, labels.ids, C, folds, pools, { layerIds: blocks.ids, sweep: blocks.sweep, weightedSum: blocks.weightedSum, probe: { l2, maxIter }, log });
        print(layerSweepTable(rows));
        const json = rows.map((r) => ({ features: r.what, pool: r.pool, ...r.summary, ...(r.layerWeights ? { layerWeights: r.layerWeights } : {}) }));
        result = { mode, layers: blocks.ids, layerDim: blocks.dim, rows: json, classes: labels.names, config: { l2, maxIter, pools } };
      } else {
        // One column per pooling: "probe" / "k=20" for mean pooling (as before), "probe mean+std" / "k=20 mean+std" for the other.
        const parts = pools.map((pool) => {
          const x = poolUtterances(utts, pool, d);
          const pd = pooledDims(pool, d);
          const s = mode === 'probe' ? evaluateProbeFolds(x, labels.ids, pd, C, folds, { l2, maxIter }) : evaluateKnnFolds(x, labels.ids, pd, C, folds, ks, temperature);
          return { pool, s };
        });
        const summary = mergeColumns(parts);
        print(summaryTable(summary));
        result = { mode, ...summary, classes: labels.names, config: mode === 'probe' ? { l2, maxIter, pools } : { ks, temperature, pools } };
      }
    } else if (mode === 'pnmi') {
      result = runPnmi(args, corpus, labels, print);
    } else {
      const distance = args.choice<FrameDistance>('distance', ['angular', 'cosine'], ABX_DEFAULTS.distance);
      const maxPerCell = args.int('per-cell', ABX_DEFAULTS.maxPerCell);
      const seed = args.int('seed', 0);
      args.rejectUnknown();
      const speakers = encodeValues(corpus.names.map((n) => fieldOf(n, groupSpec)));
      const frames = readAllUtterances(corpus);
      const items = frames.map((f, i) => ({ frames: f, category: labels.ids[i], speaker: speakers.ids[i] }));
      const r = abx(items, corpus.set.dims, new Rng(seed), { distance, maxPerCell });
      print(formatTable(['condition', 'ABX error %', 'cells'], [['within speaker', 100 * r.withinSpeaker, r.withinCells], ['across speaker', 100 * r.acrossSpeaker, r.acrossCells]]));
      result = { mode, ...r, config: { distance, maxPerCell, seed } };
    }
    const json = { ...result, features: input, utterances: corpus.utterances.length, dims: corpus.set.dims };
    if (out) writeFileAtomic(out, JSON.stringify(json, null, 2) + '\n');
    if (asJson) process.stdout.write(JSON.stringify(json) + '\n');
    return 0;
  },
};

function makeFolds(args: Args, corpus: EvalCorpus, groupSpec: ReturnType<typeof parseFieldSpec>): Fold[] {
  const trainList = args.string('train-list'), testList = args.string('test-list');
  if (trainList || testList) {
    if (!trainList || !testList) throw new InputError('--train-list and --test-list go together');
    const read = (f: string) => readFileSync(f, 'utf8').split('\n');
    return [splitByLists(corpus.names, read(trainList), read(testList))];
  }
  const groups = encodeValues(corpus.names.map((n) => fieldOf(n, groupSpec)));
  if (groups.names.length < 2) throw new InputError(`leave-one-group-out needs at least 2 groups; the group field gives ${groups.names.length}`, { field: '--group-field' });
  return leaveOneGroupOut(groups.ids, groups.names);
}

/** Summaries of one evaluation under several poolings as one, the columns of mean+std suffixed. */
function mergeColumns(parts: { pool: string; s: FoldSummary }[]): FoldSummary {
  const key = (pool: string, c: string) => (pool === 'mean' ? c : `${c} ${pool}`);
  const out: FoldSummary = { folds: parts[0].s.folds.map((f) => ({ ...f, accuracy: {} })), mean: {}, pooled: {} };
  for (const { pool, s } of parts) {
    s.folds.forEach((f, i) => Object.entries(f.accuracy).forEach(([c, v]) => (out.folds[i].accuracy[key(pool, c)] = v)));
    Object.entries(s.mean).forEach(([c, v]) => (out.mean[key(pool, c)] = v));
    Object.entries(s.pooled).forEach(([c, v]) => (out.pooled[key(pool, c)] = v));
  }
  return out;
}

function summaryTable(s: FoldSummary): string {
  const cols = Object.keys(s.mean);
  const rows: (string | number)[][] = s.folds.map((f) => [f.fold, f.train, f.test, ...cols.map((c) => f.accuracy[c])]);
  rows.push(['mean', '', '', ...cols.map((c) => s.mean[c])]);
  rows.push(['pooled', '', '', ...cols.map((c) => s.pooled[c])]);
  return formatTable(['fold', 'train', 'test', ...cols.map((c) => `acc ${c}`)], rows);
}

function runPnmi(args: Args, corpus: EvalCorpus, labels: { ids: Int32Array; names: string[] }, print: (table: string) => void): Record<string, unknown> {
  const kmFile = args.string('km'), centroidsArg = args.string('centroids'), refFile = args.string('ref');
  const energyArg = args.string('energy', refFile ? 'none' : 'c0');
  const dynamicRangeDb = args.number('dynamic-range-db', SPEECH_FRAME_DEFAULTS.dynamicRangeDb);
  const framesPerLabel = args.int('frames-per-label', 1);
  args.rejectUnknown();
  if (!(framesPerLabel >= 1)) throw new InputError(`expected an integer >= 1, got ${framesPerLabel}`, { field: '--frames-per-label' });
  if (!kmFile === !centroidsArg) throw new InputError('give exactly one of --km FILE or --centroids PREFIX');
  let clusters: Int32Array[];
  let k: number;
  if (kmFile) {
    clusters = readKmFile(kmFile);
    if (clusters.length !== corpus.utterances.length) throw new InputError(`${clusters.length} label lines for ${corpus.utterances.length} utterances of features`, { file: kmFile });
    k = 1 + clusters.reduce((m, c) => c.reduce((a, b) => Math.max(a, b), m), 0);
  } else {
    const file = centroidsArg!.endsWith('.npy') ? centroidsArg! : `${centroidsArg}.npy`;
    const c = readNpy(file);
    if (!(c.data instanceof Float32Array) || c.shape.length !== 2) throw new InputError('expected float32 centroids [k, dims]', { file });
    k = c.shape[0];
    clusters = labelUtterances(corpus.set, corpus.utterances, c.data, k);
  }
  const energy: FeatureEnergySource | 'none' = energyArg === 'c0' || energyArg === 'mean' || energyArg === 'none' ? energyArg : Number(energyArg);
  if (typeof energy === 'number' && !(Number.isInteger(energy) && energy >= 0 && energy < corpus.set.dims)) throw new InputError(`expected c0, mean, none or a column index, got "${energyArg}"`, { field: '--energy' });
  const frames = energy === 'none' ? null : readAllUtterances(corpus);
  const refs = refFile ? readKmFile(refFile) : null;
  if (refs && refs.length !== clusters.length) throw new InputError(`${refs.length} reference lines for ${clusters.length} utterances`, { file: refFile });
  const numRef = refs ? 1 + refs.reduce((m, r) => r.reduce((a, b) => Math.max(a, b), m), 0) : labels.names.length;
  let speech = 0, total = 0;
  const pairs = clusters.map((cl, i) => {
    const n = frames ? frames[i].length / corpus.set.dims : 0;
    if (frames && !labelFramesMatch(n, cl.length, framesPerLabel)) {
      const r = [2, 3, 4].find((q) => q !== framesPerLabel && labelFramesMatch(n, cl.length, q));
      const hint = r ? ` (labels at 1/${r} of the feature rate? pass --frames-per-label ${r})` : '';
      throw new InputError(`utterance ${i + 1} (${corpus.names[i]}): ${cl.length} cluster ids but ${n} feature frames${framesPerLabel > 1 ? ` at ${framesPerLabel} frames per label` : ''}${hint}`, { file: kmFile ?? input(corpus) });
    }
    const frameEnergy = frames ? logEnergyFromFeatures(frames[i], corpus.set.dims, energy as FeatureEnergySource) : null;
    const mask = frameEnergy ? selectSpeechFrames(energyPerLabel(frameEnergy, cl.length, framesPerLabel), { dynamicRangeDb }) : undefined;
    if (mask) for (const v of mask) speech += v;
    total += cl.length;
    const ref = refs ? refs[i] : new Int32Array(cl.length).fill(labels.ids[i]);
    return { ref, cluster: cl, mask };
  });
  const q = clusterQuality(jointCounts(pairs, numRef, k));
  print(formatTable(['metric', 'value'], [['phone purity', q.phonePurity], ['cluster purity', q.clusterPurity], ['PNMI', q.pnmi], ['frames', q.frames], ['clusters used', `${q.clustersUsed}/${k}`], ['reference labels', q.refLabelsUsed]]));
  return { mode: 'pnmi', ...q, k, speechFrames: frames ? speech : total, totalFrames: total, config: { energy: energyArg, dynamicRangeDb, framesPerLabel, reference: refFile ?? 'utterance label' } };
}

/** Labels at 1/r of the feature rate: a downsampler keeps ceil(n / r) or floor(n / r) of n frames. */
function labelFramesMatch(featureFrames: number, labels: number, r: number): boolean {
  return labels === Math.ceil(featureFrames / r) || labels === Math.floor(featureFrames / r);
}

/** Log energy per label: the mean over the `r` feature frames each label covers (the last may cover fewer). */
function energyPerLabel(frameEnergy: Float32Array, labels: number, r: number): Float32Array {
  if (r === 1) return frameEnergy;
  return Float32Array.from({ length: labels }, (_, j) => {
    const a = j * r, b = Math.min(frameEnergy.length, a + r);
    let s = 0;
    for (let t = a; t < b; t++) s += frameEnergy[t];
    return b > a ? s / (b - a) : -Infinity;
  });
}

function input(c: EvalCorpus): string {
  return c.set.files[0] ?? '';
}
export default command;
