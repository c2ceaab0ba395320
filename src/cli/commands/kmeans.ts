import type { Command } from '../command.ts';
import type { Args } from '../../util/args.ts';
import { Rng } from '../../util/rng.ts';
import { InputError } from '../../util/errors.ts';
import { writeNpy } from '../../util/npy.ts';
import { writeFileAtomic } from '../../util/atomic.ts';
import { openFeatureSet, sampleUtterances, loadFrames } from '../../cluster/feature-set.ts';
import { kmeans } from '../../cluster/kmeans.ts';
import { KMEANS_DEFAULTS, KMEANS_ALGORITHMS, resolveKMeansConfig, type KMeansConfig } from '../../cluster/kmeans-config.ts';

const d = KMEANS_DEFAULTS;

const command: Command = {
  summary: 'k-means centroids from features (fairseq shards, a .npy matrix or a .npy folder)',
  usage: `speech-ssl kmeans FEATURES --out PREFIX [options]

FEATURES: a folder of fairseq shard files {split}_{rank}_{nshard}.npy + .len (all ranks of --split are read),
a plain 2-D float32 .npy (a .len beside it gives utterance lengths), or a folder of per-utterance .npy files.
Writes PREFIX.npy (centroids [k, dims] float32) and PREFIX.json (config, inertia, seed, input).

  --split NAME               shard split (needed when the folder holds several)
  --k N                      clusters (${d.k})
  --percent F                fraction of utterances to sample, as fairseq's learn_kmeans.py (0.1 = 10%; -1 all)
  --algorithm A              ${KMEANS_ALGORITHMS.join('|')} (${d.algorithm}: full when all frames fit in one batch)
  --batch-size N             mini-batch size (${d.batchSize})
  --max-iter N               passes over the data (${d.maxIter})
  --max-no-improvement N     early stop on the smoothed batch inertia (${d.maxNoImprovement}; 0 off)
  --n-init N                 k-means++ initialisations (${d.nInit})
  --init-size N              rows per initialisation (3 x batch size)
  --reassignment-ratio F     small-cluster reassignment (${d.reassignmentRatio})
  --tol F                    centre-change tolerance (${d.tol}; 0 off)
  --seed N                   random seed (${d.seed})
  --threads N                threads for the n_init seedings (1; the centroids do not depend on it)
  --quiet                    no progress lines`,
  booleanFlags: ['quiet'],
  async run(args: Args): Promise<number> {
    const input = args.positionals[0];
    const out = args.string('out');
    if (!input) throw new InputError('missing FEATURES (a shard folder, a .npy matrix or a .npy folder)');
    if (!out) throw new InputError('missing --out PREFIX');
    const split = args.string('split');
    const percent = args.number('percent', -1);
    const initSize = args.int('init-size');
    const partial: Partial<KMeansConfig> = {
      k: args.int('k', d.k),
      algorithm: args.choice('algorithm', KMEANS_ALGORITHMS, d.algorithm),
      batchSize: args.int('batch-size', d.batchSize),
      maxIter: args.int('max-iter', d.maxIter),
      maxNoImprovement: args.int('max-no-improvement', d.maxNoImprovement),
      nInit: args.int('n-init', d.nInit),
      initSize: initSize ?? null,
      reassignmentRatio: args.number('reassignment-ratio', d.reassignmentRatio),
      tol: args.number('tol', d.tol),
      seed: args.int('seed', d.seed),
    };
    const threads = args.positiveInt('threads', 1);
    const quiet = args.bool('quiet');
    args.rejectUnknown();
    const cfg = resolveKMeansConfig(partial);
    const log = quiet ? () => {} : (m: string) => process.stderr.write(`kmeans: ${m}\n`);

    const t0 = performance.now();
    const set = openFeatureSet(input, split);
    const picked = sampleUtterances(set, percent, new Rng(cfg.seed).fork());
    const { data, frames } = loadFrames(set, picked);
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) throw new InputError(`non-finite value at frame ${Math.floor(i / set.dims)} of the sampled frames`, { file: input });
    }
    if (frames < cfg.k) throw new InputError(`${frames} frames cannot make ${cfg.k} clusters (lower --k or raise --percent)`, { file: input });
    log(`${picked.length}/${set.utterances.length} utterances, ${frames} frames x ${set.dims} dims from ${set.files.length} file(s)`);
    const result = kmeans(data, frames, set.dims, cfg, { log, threads });
    const wallSeconds = (performance.now() - t0) / 1000;

    writeNpy(`${out}.npy`, result.centroids, [result.k, result.dims]);
    const sidecar = {
      k: result.k,
      dims: result.dims,
      inertia: result.inertia,
      inertiaPerFrame: result.inertia / frames,
      seed: cfg.seed,
      algorithm: result.algorithm,
      steps: result.steps,
      stoppedBy: result.stoppedBy,
      smoothedInertia: result.smoothedInertia ?? null,
      initInertia: result.initInertia ?? null,
      kernel: result.kernel,
      threads,
      wallSeconds,
      phaseSeconds: result.seconds ?? null,
      config: cfg,
      input: { path: input, split: split ?? null, kind: set.kind, files: set.files, utterances: set.utterances.length, frames: set.totalFrames, percent, sampledUtterances: picked.length, sampledFrames: frames },
    };
    writeFileAtomic(`${out}.json`, JSON.stringify(sidecar, null, 2) + '\n');
    process.stdout.write(`kmeans: k ${result.k}, ${frames} frames, inertia ${result.inertia.toExponential(4)} (${(result.inertia / frames).toFixed(3)} per frame), ${result.algorithm} ${result.steps} steps (${result.stoppedBy}), ${wallSeconds.toFixed(1)} s -> ${out}.npy, ${out}.json\n`);
    return 0;
  },
};
export default command;
