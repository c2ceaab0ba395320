import type { Command } from '../command.ts';
import { InputError } from '../../util/errors.ts';
import { writeRunReport } from '../../report/run-report.ts';

const report: Command = {
  summary: 'write report.html and PNG plots for a training run folder',
  usage: `speech-ssl report <run-dir> [--title TEXT]

Regenerates <run-dir>/report.html (works offline) and its PNG plots from metrics.jsonl and the
artifacts under <run-dir>/report/ (cluster usage, embeddings for a PCA plot, an example utterance).`,
  async run(args) {
    const dir = args.positionals[0];
    if (!dir) throw new InputError('missing <run-dir>');
    const title = args.string('title', `speech-ssl run ${dir}`);
    args.rejectUnknown();
    const r = writeRunReport(dir, title);
    for (const n of r.notes) process.stderr.write(`report: ${n}\n`);
    process.stdout.write(`${r.html} (${r.pngs.length} plots)\n`);
    return 0;
  },
};
export default report;
