import { dirname, join, resolve } from 'node:path';
import type { Command } from '../command.ts';
import type { Args } from '../../util/args.ts';
import { InputError } from '../../util/errors.ts';
import { buildManifests } from '../../data/build-manifest.ts';

const usage = `speech-ssl manifest <folder> --out train.tsv [--valid-percent P --seed S --valid-out valid.tsv]

Writes a fairseq manifest: the folder's absolute path on the first line, then one
"relative/path<TAB>num_samples" line per .wav/.flac under it (recursively, sorted), num_samples read from
each header. As fairseq's wav2vec_manifest.py: --valid-percent P (a fraction, 0 <= P <= 1, default 0) sends
each file to the validation manifest with probability P, drawn from a generator seeded with --seed
(default 42); the validation manifest goes to --valid-out (default: valid.tsv beside --out).
Files whose header cannot be read are reported on stderr and left out; the exit status is then 1.
`;

const command: Command = {
  summary: 'write fairseq .tsv manifests (train/valid) for a folder of recordings',
  usage,
  async run(args: Args): Promise<number> {
    const [root, ...rest] = args.positionals;
    if (!root || rest.length > 0) throw new InputError('give exactly one folder');
    const out = args.string('out');
    if (!out) throw new InputError('required: the manifest to write (e.g. train.tsv)', { field: '--out' });
    const validPercent = args.number('valid-percent', 0);
    if (!(validPercent >= 0 && validPercent <= 1)) throw new InputError(`a fraction in [0, 1] (as fairseq's --valid-percent), got ${validPercent}`, { field: '--valid-percent' });
    const seed = args.int('seed', 42);
    const validOut = args.string('valid-out', join(dirname(resolve(out)), 'valid.tsv'));
    args.rejectUnknown();
    const r = buildManifests({ root, trainOut: out, validOut: validPercent > 0 ? validOut : null, validPercent, seed });
    for (const f of r.failures) process.stderr.write(`manifest: skipped ${f.path}: ${f.message}\n`);
    const where = validPercent > 0 ? `${out} (${r.train} files) and ${validOut} (${r.valid} files)` : `${out} (${r.train} files)`;
    process.stderr.write(`manifest: wrote ${where}${r.failures.length ? `; ${r.failures.length} unreadable files left out` : ''}\n`);
    return r.failures.length > 0 ? 1 : 0;
  },
};

export default command;
