import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from '../command.ts';
import type { Args } from '../../util/args.ts';
import { InputError, errorMessage } from '../../util/errors.ts';
import { BACKEND_CHOICES, backendInfo, initBackend } from '../../engine/backend.ts';
import { applyOverrides, readConfigFile } from '../../train/config.ts';
import { buildRun, resumeLatest, writeRunConfig, type RunDeps } from '../../train/run.ts';
import { NonFiniteLossError } from '../../train/trainer.ts';
import { decodeWaveform } from '../../data/waveform.ts';
import { buildEncoder } from '../../models/registry.ts';
import type { MetricsRow } from '../../train/metrics-log.ts';
import { formatMetric, formatNumber } from '../../util/progress.ts';
import { copyFeatureConfigIntoRun } from '../../checkpoint/feature-config.ts';
import type { JsonValue } from '../../util/fields.ts';
import { writeRunReport } from '../../report/run-report.ts';
import { TrainingView } from '../../report/training-view.ts';

const usage = `speech-ssl train --config FILE --out DIR [options]

Trains an encoder with one or more self-supervised methods (see docs/trainer.md for the config format).

Options:
  --config FILE     run config, JSON or YAML (with --resume, defaults to DIR/config.json)
  --out DIR         run folder: config.json, metrics.jsonl, checkpoints/, report.html (rewritten at
                    every validation), tb/ (TensorBoard: tensorboard --logdir DIR)
  --resume          continue from the latest checkpoint in DIR (exactly: same weights as an
                    uninterrupted run); starts from scratch when DIR has none
  --backend NAME    auto|tensorflow|wasm|cpu (default auto)
  --threads N       threads for the wasm backend and onnxruntime's matrix products (default: every
                    core, at most 8; SPEECH_SSL_THREADS). Results are the same bits for a given N
  --seed N          override the config's seed
  --max-steps N     override train.maxSteps
  --set PATH=VALUE  override any config field, repeatable (--set optim.lr=1e-4 --set methods.0.weight=0.5)
  --no-progress     no progress bar; print each logged row as a line
`;

/** The encoder registry and the audio decoder; tests pass their own. */
function defaultDeps(): RunDeps {
  return { buildEncoder: (config, ctx) => buildEncoder(config, ctx), waveformLoader: decodeWaveform };
}

function printRow(row: MetricsRow): void {
  const fields = Object.entries(row)
    .filter(([k]) => k !== 'split' && k !== 'step' && k !== 'tensors')
    .map(([k, v]) => `${k} ${typeof v === 'number' ? formatMetric(k, v) : v}`);
  process.stderr.write(`[${row.split} ${row.step}] ${fields.join('  ')}\n`);
}

/** The command's work, with its dependencies injectable (tests give a tiny encoder and methods). */
export async function runTrain(args: Args, deps?: RunDeps): Promise<number> {
  const out = args.string('out');
  if (!out) throw new InputError('required: the run folder', { field: '--out' });
  const resume = args.bool('resume');
  let configFile = args.string('config');
  if (!configFile && resume && existsSync(join(out, 'config.json'))) configFile = join(out, 'config.json');
  if (!configFile) throw new InputError('required: the run config (JSON or YAML)', { field: '--config' });
  const backend = args.choice('backend', BACKEND_CHOICES, 'auto');
  const sets = args.strings('set');
  const seed = args.int('seed');
  const maxSteps = args.int('max-steps');
  const threads = args.int('threads');
  if (threads !== undefined && threads < 1) throw new InputError(`expected a positive integer, got ${threads}`, { field: '--threads' });
  const progress = args.bool('progress', true);
  args.rejectUnknown();
  if (seed !== undefined) sets.push(`seed=${seed}`);
  if (maxSteps !== undefined) sets.push(`train.maxSteps=${maxSteps}`);
  const raw = applyOverrides(readConfigFile(configFile), sets, { cwd: process.cwd() });
  await initBackend(backend, { threads, log: (m) => process.stderr.write(`speech-ssl train: ${m}\n`) });
  process.stderr.write(`speech-ssl train: backend ${backendInfo()?.description}\n`);
  const showBar = progress && Boolean(process.stderr.isTTY);
  const title = `speech-ssl train ${out}`;
  const view = new TrainingView(out, { title, warn: (m) => process.stderr.write(`speech-ssl train: ${m}\n`) });
  const run = await buildRun(raw, {
    file: configFile,
    baseDir: dirname(resolve(configFile)),
    outDir: out,
    deps: deps ?? defaultDeps(),
    progress: showBar,
    hooks: {
      onLog: (row) => {
        view.log(row);
        if (!showBar) printRow(row);
      },
    },
  });
  try {
    if (resume) {
      const from = resumeLatest(run);
      process.stderr.write(from ? `speech-ssl train: resuming from ${from} (step ${run.trainer.step})\n` : 'speech-ssl train: no checkpoint yet; starting from scratch\n');
    } else if (run.trainer.store.steps().length > 0) {
      throw new InputError('already holds checkpoints; pass --resume to continue that run, or choose another --out', { file: out });
    }
    view.startAt(run.trainer.step);
    writeRunConfig(out, run.config);
    copyFeatureConfigIntoRun(run.config as unknown as Record<string, JsonValue>, out);
    const s = await run.trainer.run();
    const loss = s.lastTrainRow ? formatNumber(Number(s.lastTrainRow.loss)) : '-';
    process.stdout.write(
      `trained ${s.step - s.startStep} updates (to step ${s.step}) in ${s.seconds.toFixed(1)} s; loss ${loss}` +
        (s.best ? `; best ${s.best.metric} ${formatNumber(s.best.value)} at step ${s.best.step}` : '') +
        `\ncheckpoint: ${s.checkpoint}\n`,
    );
    try {
      const r = writeRunReport(out, title);
      process.stdout.write(`report: ${r.html} (${r.charts.length} charts; \`speech-ssl report ${out} --embeddings ... --km ...\` adds the rest); TensorBoard: tensorboard --logdir ${join(out, 'tb')}\n`);
    } catch (e) {
      process.stderr.write(`speech-ssl train: the run report was not written: ${errorMessage(e)}\n`);
    }
    if (s.failures.length) {
      process.stderr.write(`speech-ssl train: ${s.failures.length} item(s) could not be loaded and were skipped:\n${s.failures.map((f) => `  ${f}`).join('\n')}\n`);
    }
    return 0;
  } catch (e) {
    if (e instanceof NonFiniteLossError) {
      process.stderr.write(`speech-ssl train: ${errorMessage(e)}\n`);
      return 1;
    }
    throw e;
  } finally {
    view.close();
    run.dispose();
  }
}

const command: Command = {
  summary: 'train an encoder with self-supervised methods (config file, checkpoints, --resume)',
  usage,
  booleanFlags: ['resume', 'progress'],
  run: (args) => runTrain(args),
};

export default command;
