import type { Command } from '../command.ts';
import type { Args } from '../../util/args.ts';
import { InputError } from '../../util/errors.ts';
import { COMMON_FEATURE_OPTIONS, FEATURIZER_KINDS, featurizerKind } from '../../features/featurizer.ts';
import { optionsUsage, readOptions } from '../../features/feature-options.ts';
import { parseShard } from '../../features/extract/inputs.ts';
import { runExtract } from '../../features/extract/run-extract.ts';

const boolFlags = new Set<string>(['concat', 'overwrite']);
for (const k of FEATURIZER_KINDS) for (const s of k.options) if (s.type === 'bool') boolFlags.add(s.flag);
for (const s of COMMON_FEATURE_OPTIONS) if (s.type === 'bool') boolFlags.add(s.flag);

const usage = `speech-ssl extract <folder | manifest.tsv | files...> --out DIR [options]

Features for every recording (WAV or FLAC, any rate and channel count: mixed to mono and resampled to the
feature rate with torchaudio's resampler), one float32 .npy [frames, dims] per input at its relative path,
or fairseq shard files with --concat. --features may also name a trained checkpoint or run folder (its
hidden layer --layer, computed with tfjs) or an ONNX encoder (onnxruntime), e.g. for HuBERT's second
iteration: speech-ssl extract train.tsv --features runs/iter1 --layer 6 --out feats/iter2 --concat

  --features KIND             ${FEATURIZER_KINDS.map((k) => k.name).join(' | ')} (default fbank)
  --out DIR                   output folder (also gets features.json, and failures.tsv when files fail)
  --shard I/N                 process only the I-th of N contiguous slices (0 <= I < N) of the input list
  --jobs N                    worker threads (default 1)
  --concat                    write {split}_{I}_{N}.npy + .len (fairseq HuBERT layout) instead of per-file .npy
  --split NAME                split name for --concat (default: the manifest's file name, train.tsv -> train)
  --overwrite                 recompute outputs that already exist (default: skip them, so reruns resume)

Options of every kind:
${optionsUsage(COMMON_FEATURE_OPTIONS)}

${FEATURIZER_KINDS.map((k) => `${k.name}: ${k.summary}\n${optionsUsage(k.options)}`).join('\n\n')}

Files that cannot be used (not WAV/FLAC, truncated, empty, NaN/Inf samples, a header that lies, unreadable)
are skipped with one line on stderr and a row in DIR/failures.tsv (failures_I_N.tsv with --shard); the exit
status is then 1. Folder inputs are sorted by relative path; a manifest keeps its order.
`;

const command: Command = {
  summary: 'compute Kaldi fbank / MFCC, mel spectrograms, Meyda descriptors or a trained model\'s hidden layer for a corpus',
  usage,
  booleanFlags: [...boolFlags],
  async run(args: Args): Promise<number> {
    const features = args.string('features', 'fbank');
    const kind = featurizerKind(features);
    const values = { ...readOptions(args, COMMON_FEATURE_OPTIONS), ...readOptions(args, kind.options) };
    const out = args.string('out');
    if (!out) throw new InputError('required: the output folder', { field: '--out' });
    const shard = parseShard(args.string('shard', '0/1'));
    const jobs = args.int('jobs', 1);
    if (jobs < 1) throw new InputError(`must be >= 1, got ${jobs}`, { field: '--jobs' });
    const concat = args.bool('concat');
    const split = args.string('split');
    const overwrite = args.bool('overwrite');
    args.rejectUnknown();
    const summary = await runExtract({ inputs: args.positionals, outDir: out, features, values, shard, jobs, concat, split, overwrite });
    return summary.failures.length > 0 ? 1 : 0;
  },
};

export default command;
