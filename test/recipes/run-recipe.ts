/** Runs a recipe's run.sh to completion and reads what it wrote, for the recipe tests. */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.ts';
import { readNpyHeader } from '../../src/util/npy.ts';

export interface RecipeResult {
  code: number | null;
  /** stdout and stderr interleaved as they came. */
  output: string;
}

export function runRecipe(recipe: string, args: string[]): Promise<RecipeResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(repoRoot, 'recipes', recipe, 'run.sh'), ...args], { env: { ...process.env, CI: '1' } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** Non-empty lines of a text file. */
export function lines(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
}

/** Frames per utterance from shard .len files in rank order. */
export function shardLengths(dir: string, split: string, nshard: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < nshard; r++) out.push(...lines(join(dir, `${split}_${r}_${nshard}.len`)).map(Number));
  return out;
}

/** [rows, dims] of a shard .npy. */
export function npyShape(file: string): number[] {
  return readNpyHeader(file).shape;
}

/** Label counts per line of a .km file. */
export function kmCounts(file: string): number[] {
  return lines(file).map((l) => l.trim().split(/\s+/).length);
}

export function mtime(file: string): number {
  return statSync(file).mtimeMs;
}

/** The stages a run printed as skipped ("== stage N: ... (done before, skipped ...)"). */
export function skippedStages(output: string): number[] {
  return [...output.matchAll(/^== stage (\d+): .*\(done before, skipped/gm)].map((m) => Number(m[1]));
}

export function ranStages(output: string): number[] {
  return [...output.matchAll(/^== stage (\d+): (?!.*\(done before, skipped)/gm)].map((m) => Number(m[1]));
}

/** --train-set options that make the recipes' HuBERT models tiny (16-channel conv stack, 6 layers of width 32) for tests. */
const TINY_CONV = '[' + [[10, 5], [3, 2], [3, 2], [3, 2], [3, 2], [2, 2], [2, 2]].map(([k, s]) => `{channels: 16, kernel: ${k}, stride: ${s}}`).join(', ') + ']';
export const TINY_TRAIN = [
  `encoder.convLayers=${TINY_CONV}`, 'encoder.dim=32', 'encoder.ffnDim=64', 'encoder.heads=2', 'encoder.posConv.groups=2', 'methods.0.config.finalDim=16',
  'data.batchSize=4', 'train.logEvery=1', 'train.checkpointEvery=2', 'schedule.warmupSteps=1',
].flatMap((s) => ['--train-set', s]);

/**
 * Whether `speech-ssl extract --features` takes a trained run folder (the interface the recipes' model
 * feature stages use; branch onnx-cli). Without it the recipe tests stop before those stages.
 */
export function extractTakesModels(): boolean {
  const r = spawnSync(join(repoRoot, 'bin/speech-ssl.js'), ['extract', '--help'], { encoding: 'utf8' });
  return /checkpoint-dir\|run-dir/.test(r.stdout);
}
