import type { Command } from '../command.ts';
import { InputError } from '../../util/errors.ts';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SMOOTHING, readMetrics, writeRunReport } from '../../report/run-report.ts';
import { writeClusterUsageEvents } from '../../report/training-view.ts';
import { collectReportArtifacts, type ArtifactSources } from '../../report/artifacts.ts';
import { parseFieldSpec } from '../../eval/utterance-fields.ts';

const report: Command = {
  summary: 'write report.html (charts of a training run folder) and its cluster histogram for TensorBoard',
  usage: `speech-ssl report <run-dir> [options]

Regenerates <run-dir>/report.html (one self-contained page, inline SVG charts) from metrics.jsonl and
the artifacts under <run-dir>/report/ (cluster usage, embeddings for a PCA plot, an example utterance).
\`train\` writes this page as it runs; the cluster usage also goes to TensorBoard (<run-dir>/tb/train,
histogram cluster_usage). The options below (re)collect those artifacts first:

  --title TEXT           page title
  --smoothing W          moving-average weight of the training curves, 0 to <1 (default ${DEFAULT_SMOOTHING})
  --embeddings FEATS     frame features to mean-pool for the PCA plot (a folder of .npy, or shards with
                         --split/--manifest/--names as for \`speech-ssl eval\`), coloured by --label-field F (0)
  --max-utterances N     utterances in the PCA plot (default 2000)
  --km FILE              a .km file: cluster usage histogram (and the ids under the example), --k N clusters
  --example FEATS        log-mel features for the example plot, in the .km file's utterance order
                         (same --split/--manifest/--names), --example-index I (default 0)`,
  async run(args) {
    const dir = args.positionals[0];
    if (!dir) throw new InputError('missing <run-dir>');
    const title = args.string('title', `speech-ssl run ${dir}`);
    const smoothing = args.number('smoothing', DEFAULT_SMOOTHING);
    const corpus = { split: args.string('split'), manifest: args.string('manifest'), namesFile: args.string('names') };
    const src: ArtifactSources = {};
    const emb = args.string('embeddings');
    const label = parseFieldSpec(args.string('label-field', '0'), '--label-field');
    const maxUtterances = args.int('max-utterances', 2000);
    if (emb) src.embeddings = { path: emb, corpus, label, maxUtterances };
    const km = args.string('km');
    const k = args.has('k') ? args.int('k', 0) : undefined;
    if (km) src.km = { file: km, numClusters: k };
    const example = args.string('example');
    const exampleIndex = args.int('example-index', 0);
    if (example) src.example = { path: example, corpus, index: exampleIndex };
    args.rejectUnknown();
    for (const line of collectReportArtifacts(dir, src)) process.stderr.write(`report: collected ${line}\n`);
    const r = writeRunReport(dir, title, { smoothing });
    for (const n of r.notes) process.stderr.write(`report: ${n}\n`);
    const clusters = join(dir, 'report/clusters.json');
    if (existsSync(clusters)) {
      const { counts } = JSON.parse(readFileSync(clusters, 'utf8')) as { counts: number[] };
      const metrics = join(dir, 'metrics.jsonl');
      const last = existsSync(metrics) ? readMetrics(metrics).filter((row) => typeof row.step === 'number').at(-1) : undefined;
      writeClusterUsageEvents(dir, counts, typeof last?.step === 'number' ? last.step : 0);
    }
    process.stdout.write(`${r.html} (${r.charts.length} charts)\n`);
    return 0;
  },
};
export default report;
