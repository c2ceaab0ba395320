import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from '../command.ts';
import type { Args } from '../../util/args.ts';
import { InputError } from '../../util/errors.ts';
import { readNpy } from '../../util/npy.ts';
import { readManifest } from '../../data/manifest.ts';
import { openFeatureSet } from '../../cluster/feature-set.ts';
import { labelUtterances, orderByManifest } from '../../cluster/label-features.ts';
import { clusterCounts, validateKmLabels, writeKmDictionary, writeKmFile } from '../../cluster/km-labels.ts';

const command: Command = {
  summary: 'fairseq .km labels and dict.km.txt from features and k-means centroids',
  usage: `speech-ssl label FEATURES --centroids PREFIX --out DIR [options]

FEATURES as for \`speech-ssl kmeans\`. Writes DIR/{split}.km (one line per utterance, space-separated cluster
ids) and DIR/dict.km.txt ("id count" for each of the k clusters, counted on the split labelled; written for
the train split, or for any split when DIR has none yet, so labelling valid or test after train keeps the
training counts). With --manifest, lines follow the manifest and the label lengths are checked against the
audio at --label-rate (refused when they do not match).

  --centroids PREFIX   PREFIX.npy from \`speech-ssl kmeans\` (PREFIX.npy also accepted)
  --split NAME         shard split to read, and the .km name (default: the shard split, the manifest name, or "train")
  --manifest FILE      fairseq .tsv the features were dumped from
  --label-rate HZ      label frames per second (100 for MFCC, 50 for HuBERT layers; default 100)
  --sample-rate HZ     rate of the manifest's num_samples (default 16000)
  --tolerance SEC      allowed duration mismatch per utterance (default 0.1, as fairseq)`,
  async run(args: Args): Promise<number> {
    const input = args.positionals[0];
    const centroidsArg = args.string('centroids');
    const outDir = args.string('out');
    const split = args.string('split');
    const manifestFile = args.string('manifest');
    const labelRate = args.number('label-rate', 100);
    const sampleRate = args.number('sample-rate', 16000);
    const tolerance = args.number('tolerance', 0.1);
    args.rejectUnknown();
    if (!input) throw new InputError('missing FEATURES');
    if (!centroidsArg) throw new InputError('missing --centroids PREFIX');
    if (!outDir) throw new InputError('missing --out DIR');

    const centroidsFile = centroidsArg.endsWith('.npy') ? centroidsArg : `${centroidsArg}.npy`;
    const c = readNpy(centroidsFile);
    if (!(c.data instanceof Float32Array) || c.shape.length !== 2 || c.shape[0] < 1) {
      throw new InputError(`expected float32 centroids [k, dims], found shape ${JSON.stringify(c.shape)}`, { file: centroidsFile });
    }
    const [k, dims] = c.shape;
    const set = openFeatureSet(input, split);
    if (dims !== set.dims) throw new InputError(`centroids have ${dims} dims but the features have ${set.dims}`, { file: centroidsFile });
    const manifest = manifestFile ? readManifest(manifestFile) : null;
    const utterances = manifest ? orderByManifest(set, manifest, manifestFile!) : set.utterances;
    const labels = labelUtterances(set, utterances, c.data, k);
    const name = split ?? shardSplit(set.files[0], set.kind) ?? (manifestFile ? basename(manifestFile).replace(/\.tsv$/, '') : 'train');
    const kmFile = join(outDir, `${name}.km`);
    if (manifest) validateKmLabels(labels, manifest, { labelRate, sampleRate, toleranceSeconds: tolerance }, { file: kmFile, numClusters: k });
    const counts = clusterCounts(labels, k);
    writeKmFile(kmFile, labels);
    const dictFile = join(outDir, 'dict.km.txt');
    const writeDict = name === 'train' || !existsSync(dictFile);
    if (writeDict) writeKmDictionary(dictFile, counts);
    const used = counts.filter((x) => x > 0).length;
    const frames = counts.reduce((a, b) => a + b, 0);
    process.stdout.write(`label: ${labels.length} utterances, ${frames} frames, ${used}/${k} clusters used -> ${kmFile}${writeDict ? `, ${dictFile}` : ` (${dictFile} kept: written for train)`}\n`);
    return 0;
  },
};

function shardSplit(file: string, kind: string): string | undefined {
  return kind === 'shards' ? /^(.+)_\d+_\d+\.npy$/.exec(basename(file))?.[1] : undefined;
}
export default command;
