/**
 * The PyTorch reference of the `train-step` benchmark: hubert_tiny_step_pytorch.py beside this file (the
 * same hubert-tiny step in PyTorch), run by Debian's /usr/bin/python3 when it has torch. The benchmark
 * alternates it with its own timed steps so that both sides see the same machine load.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'hubert_tiny_step_pytorch.py');

/** The torch version /usr/bin/python3 imports, or the reason there is none. */
export function torchAvailable(): { version: string } | { reason: string } {
  if (!existsSync(PYTHON)) return { reason: `${PYTHON} not found` };
  const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) return { reason: `${PYTHON} cannot import torch (${(r.stderr || r.error?.message || '').trim().split('\n').pop()})` };
  return { version: r.stdout.trim() };
}

/** Median ms per step of `steps` PyTorch steps (after 3 warm-up steps) on `threads` threads. */
export function torchStepMs(threads: number, steps: number): number {
  const r = spawnSync(PYTHON, [SCRIPT, String(threads), String(steps)], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`${SCRIPT} failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  const parsed = JSON.parse(line) as { ms_per_step?: unknown };
  if (typeof parsed.ms_per_step !== 'number') throw new Error(`${SCRIPT}: expected {"ms_per_step": number}, got ${line}`);
  return parsed.ms_per_step;
}
