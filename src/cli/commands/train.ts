import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Command } from '../command.ts';
import type { Args } from '../../util/args.ts';
import { InputError, errorMessage } from '../../util/errors.ts';
import { BACKEND_CHOICES, initBackend } from '../../engine/backend.ts';
import { applyOverrides, readConfigFile } from '../../train/config.ts';
import { buildRun, resumeLatest, writeRunConfig, type EncoderBuilder, type RunDeps } from '../../train/run.ts';
import { NonFiniteLossError } from '../../train/trainer.ts';
import type { WaveformLoader } from '../../data/waveform.ts';
import type { MetricsRow } from '../../train/metrics-log.ts';
import { formatMetric, formatNumber } from '../../util/progress.ts';
import { copyFeatureConfigIntoRun } from '../../train/feature-config.ts';
import type { JsonValue } from '../../util/fields.ts';
import { writeRunReport } from '../../report/run-report.ts';

const usage = `speech-ssl train --config FILE --out DIR [options]

Trains an encoder with one or more self-supervised methods (see docs/trainer.md for the config format).

Options:
  --config FILE     run config, JSON or YAML (with --resume, defaults to DIR/config.json)
  --out DIR         run folder: config.json, metrics.jsonl, checkpoints/
  --resume          continue from the latest checkpoint in DIR (exactly: same weights as an
                    uninterrupted run); starts from scratch when DIR has none
  --backend NAME    auto|tensorflow|wasm|cpu (default auto)
  --seed N          override the config's seed
  --max-steps N     override train.maxSteps
  --set PATH=VALUE  override any config field, repeatable (--set optim.lr=1e-4 --set methods.0.weight=0.5)
  --no-progress     no progress bar; print each logged row as a line
`;

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The encoder registry (src/models/registry.ts, `buildEncoder(config, ...)`) and the audio decoder
 * (src/audio/decode.ts, `decodeAudio`) are loaded by path, so this command works whichever of them has
 * landed; a missing one is reported when a run needs it.
 */
async function defaultDeps(): Promise<RunDeps> {
  const registryFile = resolve(here, '../../models/registry.ts');
  const decodeFile = resolve(here, '../../audio/decode.ts');
  let buildEncoder: EncoderBuilder = () => {
    throw new InputError('no encoder registry is available (src/models/registry.ts is missing)', { field: 'encoder' });
  };
  if (existsSync(registryFile)) {
    const mod = (await import(pathToFileURL(registryFile).href)) as { buildEncoder?: (config: object, ctx: object) => ReturnType<EncoderBuilder> };
    if (mod.buildEncoder) {
      const build = mod.buildEncoder;
      buildEncoder = (config, ctx) => build(config, ctx);
    }
  }
  let waveformLoader: WaveformLoader | undefined;
  if (existsSync(decodeFile)) {
    const mod = (await import(pathToFileURL(decodeFile).href)) as { decodeAudio?: (file: string) => Promise<{ mono: Float32Array; sampleRate: number }> };
    const decode = mod.decodeAudio;
    if (decode) {
      waveformLoader = async (file) => {
        const a = await decode(file);
        if (a.sampleRate !== 16000) throw new InputError(`sample rate ${a.sampleRate} Hz; waveform training expects 16000 Hz (resample first)`, { file });
        return a.mono;
      };
    }
  }
  return { buildEncoder, waveformLoader };
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
  const progress = args.bool('progress', true);
  args.rejectUnknown();
  if (seed !== undefined) sets.push(`seed=${seed}`);
  if (maxSteps !== undefined) sets.push(`train.maxSteps=${maxSteps}`);
  const raw = applyOverrides(readConfigFile(configFile), sets, { cwd: process.cwd() });
  const active = await initBackend(backend, (m) => process.stderr.write(`speech-ssl train: ${m}\n`));
  process.stderr.write(`speech-ssl train: backend ${active}\n`);
  const showBar = progress && Boolean(process.stderr.isTTY);
  const run = await buildRun(raw, {
    file: configFile,
    baseDir: dirname(resolve(configFile)),
    outDir: out,
    deps: deps ?? (await defaultDeps()),
    progress: showBar,
    hooks: showBar ? {} : { onLog: printRow },
  });
  try {
    if (resume) {
      const from = resumeLatest(run);
      process.stderr.write(from ? `speech-ssl train: resuming from ${from} (step ${run.trainer.step})\n` : 'speech-ssl train: no checkpoint yet; starting from scratch\n');
    } else if (run.trainer.store.steps().length > 0) {
      throw new InputError('already holds checkpoints; pass --resume to continue that run, or choose another --out', { file: out });
    }
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
      const r = writeRunReport(out, `speech-ssl train ${out}`);
      process.stdout.write(`report: ${r.html} (${r.pngs.length} plots; \`speech-ssl report ${out} --embeddings ... --km ...\` adds the rest)\n`);
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
