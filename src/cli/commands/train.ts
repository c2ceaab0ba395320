import { existsSync, readdirSync, rmdirSync } from 'node:fs';
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
import { FEATURE_CONFIG_FILE, copyFeatureConfigIntoRun } from '../../checkpoint/feature-config.ts';
import { WAVEFORM_NORMALIZE_DEFAULTS } from '../../data/sequence-data.ts';
import { writeFileAtomic } from '../../util/atomic.ts';
import type { JsonValue } from '../../util/fields.ts';
import { writeRunReport } from '../../report/run-report.ts';
import { TrainingView } from '../../report/training-view.ts';
import { acquireFolderLock } from '../../util/folder-lock.ts';

const usage = `speech-ssl train --config FILE --out DIR [options]

Trains an encoder with one or more self-supervised methods (see docs/trainer.md for the config format).

Options:
  --config FILE     run config, JSON or YAML (with --resume, defaults to DIR/config.json)
  --out DIR         run folder: config.json, metrics.jsonl, checkpoints/, report.html (rewritten at
                    every validation), tb/ (TensorBoard: tensorboard --logdir DIR); held with DIR/.lock
                    while training: a second train into DIR is refused, a dead run's lock taken over
  --init-from RUN   start the encoder from another run folder or checkpoint (a trained run, or one
                    \`speech-ssl import\` wrote) instead of random weights; a config without \`encoder\`
                    takes that run's architecture (continued pretraining, a student initialised from
                    a teacher); ignored when --resume finds a checkpoint. A model that normalises
                    its waveform (its features.json says so) wants data.normalize: true
  --resume          continue from the newest intact checkpoint in DIR (exactly: same weights as an
                    uninterrupted run; a damaged newer one is set aside); starts from scratch when
                    DIR has none
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

/**
 * A waveform run that normalises its utterances (data.normalize) records it in features.json, as an import
 * does, so `extract` and the ONNX export of the run normalise too.
 */
function writeWaveformFeatureConfig(config: Record<string, JsonValue>, out: string): void {
  const data = config.data as Record<string, JsonValue> | undefined;
  if (data?.kind !== 'waveform' || data.normalize !== true) return;
  const eps = typeof data.normalizeEps === 'number' ? data.normalizeEps : WAVEFORM_NORMALIZE_DEFAULTS.normalizeEps;
  writeFileAtomic(join(out, FEATURE_CONFIG_FILE), JSON.stringify({ features: 'waveform', sampleRate: 16000, normalize: true, normalizeEps: eps }, null, 1) + '\n');
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
  const threads = args.positiveInt('threads');
  const progress = args.bool('progress', true);
  const initFrom = args.string('init-from');
  args.rejectUnknown();
  if (seed !== undefined) sets.push(`seed=${seed}`);
  if (maxSteps !== undefined) sets.push(`train.maxSteps=${maxSteps}`);
  const raw = applyOverrides(readConfigFile(configFile), sets, { cwd: process.cwd() });
  // One run per folder: a second `train` into the same --out is refused while this one holds it.
  const existed = existsSync(out);
  const lock = acquireFolderLock(out, `speech-ssl train --out ${out}${resume ? ' --resume' : ''}`);
  if (lock.tookOverFrom) process.stderr.write(`speech-ssl train: ${out} was locked by process ${lock.tookOverFrom.pid}, which is gone; taking it over\n`);
  try {
    return await trainLocked({ out, resume, configFile, backend, threads, progress, raw, deps, initFrom });
  } finally {
    lock.release();
    // A run refused before its first write leaves no empty folder behind.
    if (!existed && readdirSync(out).length === 0) rmdirSync(out);
  }
}

interface LockedRun {
  out: string;
  resume: boolean;
  configFile: string;
  backend: (typeof BACKEND_CHOICES)[number];
  threads: number | undefined;
  progress: boolean;
  raw: unknown;
  deps?: RunDeps;
  initFrom?: string;
}

async function trainLocked({ out, resume, configFile, backend, threads, progress, raw, deps, initFrom }: LockedRun): Promise<number> {
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
    ...(initFrom ? { initFrom } : {}),
  });
  if (run.initialisedFrom) {
    const i = run.initialisedFrom;
    process.stderr.write(`speech-ssl train: encoder initialised from ${i.dir} (step ${i.step}, ${i.tensors} tensors)\n`);
  }
  try {
    if (resume) {
      const from = resumeLatest(run, (dir, problem) => process.stderr.write(`speech-ssl train: ${dir} cannot be used (${problem}); set aside as ${dir}.damaged, trying the one before\n`));
      process.stderr.write(from ? `speech-ssl train: resuming from ${from} (step ${run.trainer.step})\n` : 'speech-ssl train: no checkpoint yet; starting from scratch\n');
    } else if (run.trainer.store.steps().length > 0) {
      throw new InputError('already holds checkpoints; pass --resume to continue that run, or choose another --out', { file: out });
    }
    view.startAt(run.trainer.step);
    writeRunConfig(out, run.config);
    copyFeatureConfigIntoRun(run.config as unknown as Record<string, JsonValue>, out);
    writeWaveformFeatureConfig(run.config as unknown as Record<string, JsonValue>, out);
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
