import type { Command } from '../command.ts';
import type { Args } from '../../util/args.ts';
import { InputError } from '../../util/errors.ts';
import { openFeatureSet } from '../../cluster/feature-set.ts';
import { prepareLibriSpeech } from '../../data/corpora/librispeech.ts';
import { prepareSpeechCommands } from '../../data/corpora/speech-commands.ts';
import { prepareTimit } from '../../data/corpora/timit.ts';
import { writePhoneReference } from '../../data/corpora/phone-reference.ts';
import { dropFailed, readFailurePaths } from '../../data/corpora/drop-failed.ts';
import type { PreparedCorpus } from '../../data/corpora/prepared-corpus.ts';

const usage = `speech-ssl prepare <corpus|step> ... (the corpus-specific steps of recipes/<corpus>/run.sh)

  librispeech ROOT --out DIR [--splits train-clean-100,dev-clean]
      DIR/train.tsv (+ .wrd, .ltr) from the train-* splits, DIR/valid.tsv (+ .wrd, .ltr) from the others;
      ROOT/<split>/<speaker>/<chapter>/*.flac with <speaker>-<chapter>.trans.txt.
  speech-commands ROOT --out DIR [--probe-per-word N (0 = all)] [--seed S]
      DIR/{train,valid,test}.tsv from validation_list.txt / testing_list.txt (train = the rest,
      _background_noise_ left out); DIR/probe.tsv with probe_train.lst / probe_test.lst for eval probe.
  timit ROOT --out DIR [--with-sa]
      DIR/{train,test}.tsv and DIR/{train,test}.phn (the .PHN of each line); SPHERE audio is rewritten as
      WAV under DIR/wav/; SA1/SA2 left out unless --with-sa.
  phone-frames MANIFEST --phn LIST --out FILE [--rate 100|50] [--window 400] [--phones 39|61]
               [--lengths-from FEATURES --split NAME] [--phones-out FILE]
      frame-level phone ids (a .km-style --ref for eval pnmi): frame t is the phone at sample
      t*hop + window/2; frame counts from the features' .len (--lengths-from) or Kaldi's snip-edges count.
  drop-failed MANIFEST --failures DIR|FILE [--failures ...] [--also FILE ...] [--names FILE ...]
      removes the files extract could not decode (failures*.tsv) from the manifest, the same lines from
      the parallel files (--also: .wrd, .ltr, .phn) and the lines naming them from name lists (--names:
      a probe's train/test lists), so shards, labels, manifests and lists line up.

Recordings and list entries that cannot be used are reported on stderr, one a line, and left out; the
exit status is then 1 (2 for a usage or input error that stops the step).
`;

function report(what: string, r: PreparedCorpus): number {
  for (const p of r.problems) process.stderr.write(`prepare ${what}: left out ${p.path}: ${p.message}\n`);
  const files = r.written.map((w) => `${w.file} (${w.lines})`).join(', ');
  process.stderr.write(`prepare ${what}: wrote ${files}${r.problems.length ? `; ${r.problems.length} problem(s) reported above` : ''}\n`);
  return r.problems.length > 0 ? 1 : 0;
}

function required(args: Args, name: string, what: string): string {
  const v = args.string(name);
  if (!v) throw new InputError(`required: ${what}`, { field: `--${name}` });
  return v;
}

const command: Command = {
  summary: 'corpus preparation for the recipes (LibriSpeech, Speech Commands, TIMIT) and manifest repair',
  usage,
  booleanFlags: ['with-sa'],
  async run(args: Args): Promise<number> {
    const [step, input, ...rest] = args.positionals;
    if (!input || rest.length > 0) throw new InputError(`give one step and one input folder or manifest (see --help), got ${args.positionals.length} positionals`);
    switch (step) {
      case 'librispeech': {
        const out = required(args, 'out', 'the output folder');
        const splits = args.string('splits', 'train-clean-100,dev-clean').split(',').map((s) => s.trim()).filter(Boolean);
        args.rejectUnknown();
        return report(step, prepareLibriSpeech({ root: input, splits, outDir: out }));
      }
      case 'speech-commands': {
        const out = required(args, 'out', 'the output folder');
        const probePerWord = args.int('probe-per-word', 0);
        const seed = args.int('seed', 0);
        args.rejectUnknown();
        return report(step, prepareSpeechCommands({ root: input, outDir: out, probePerWord, seed }));
      }
      case 'timit': {
        const out = required(args, 'out', 'the output folder');
        const withSa = args.bool('with-sa');
        args.rejectUnknown();
        return report(step, prepareTimit({ root: input, outDir: out, withSa }));
      }
      case 'phone-frames': {
        const phnList = required(args, 'phn', 'the list of .PHN files (prepare timit writes DIR/<split>.phn)');
        const out = required(args, 'out', 'the reference file to write');
        const rate = args.number('rate', 100);
        const window = args.int('window', 400);
        const set = args.choice('phones', ['39', '61'] as const, '39');
        const lengthsFrom = args.string('lengths-from');
        const split = args.string('split');
        const phonesOut = args.string('phones-out');
        args.rejectUnknown();
        const lengths = lengthsFrom ? openFeatureSet(lengthsFrom, split).utterances.map((u) => u.frames) : undefined;
        const r = writePhoneReference({ manifest: input, phnList, rate, window, set, lengths, lengthsSource: lengthsFrom, out, phonesOut });
        process.stderr.write(`prepare phone-frames: wrote ${out} (${r.utterances} utterances, ${r.frames} frames at ${rate} Hz, ${set} phones)\n`);
        return 0;
      }
      case 'drop-failed': {
        const failures = args.strings('failures');
        if (failures.length === 0) throw new InputError('required: the extract output folder(s) or failures*.tsv file(s)', { field: '--failures' });
        const also = args.strings('also');
        const names = args.strings('names');
        args.rejectUnknown();
        const r = dropFailed(input, readFailurePaths(failures), also, names);
        for (const d of r.dropped) process.stderr.write(`prepare drop-failed: left out ${d} (extract could not use it)\n`);
        process.stderr.write(`prepare drop-failed: ${input}: ${r.kept} kept, ${r.dropped.length} dropped${also.length ? ` (also from ${also.join(', ')})` : ''}\n`);
        return 0;
      }
      default:
        throw new InputError(`unknown step "${step ?? ''}" (librispeech, speech-commands, timit, phone-frames, drop-failed)`);
    }
  },
};

export default command;

