/**
 * `npm run bench -- torch-load [--dtype float32|float16|bfloat16] [--legacy] [--runs 3] [--file PATH]`:
 * loading a HuBERT-base-shaped checkpoint (fairseq names, ~94.7M random parameters, written by
 * torch_load_reference.py with Debian's python3-torch) with loadStateDict and converting every tensor
 * to float32, as an importer does. Each run is a fresh child process, so its peak RSS is the load's own;
 * runs alternate with `torch.load` + `.float()` in Python on the same file. The target (issue #13): a
 * 95M-parameter model loads in seconds holding at most about twice its float32 weights.
 * Prints one JSON line per run, then a summary line with medians.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Args } from '../../src/util/args.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';

interface RunResult {
  seconds: number;
  rss_before_mb: number;
  peak_rss_mb: number;
}

/** The child: load, convert everything to float32 (kept, as an importer keeps it), report time and RSS. */
async function child(file: string): Promise<void> {
  const { loadStateDict } = await import('../../src/checkpoint/torch-load.ts');
  const before = process.resourceUsage().maxRSS / 1024;
  const t = performance.now();
  const { tensors } = loadStateDict(file);
  const arrays = Object.values(tensors).map((x) => x.toFloat32());
  const seconds = (performance.now() - t) / 1000;
  const params = arrays.reduce((a, x) => a + x.length, 0);
  process.stdout.write(JSON.stringify({ seconds, rss_before_mb: before, peak_rss_mb: process.resourceUsage().maxRSS / 1024, params, tensors: arrays.length }) + '\n');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

export async function main(argv: string[]): Promise<void> {
  const args = new Args(argv, ['legacy']);
  const childFile = args.string('child', '');
  if (childFile) return child(childFile);
  const dtype = args.choice('dtype', ['float32', 'float16', 'bfloat16'], 'float32');
  const legacy = args.bool('legacy');
  const runs = args.int('runs', 3);
  const given = args.string('file', '');
  args.rejectUnknown();
  if (!given && !existsSync(PYTHON)) {
    process.stderr.write(`torch-load: needs ${PYTHON} with torch to write the checkpoint (or --file PATH)\n`);
    process.exit(2);
  }
  const dir = given ? '' : mkdtempSync(join(tmpdir(), 'torch-load-bench-'));
  const file = given || join(dir, 'hubert-base.pt');
  try {
    if (!given) {
      const made = execFileSync(PYTHON, [join(HERE, 'torch_load_reference.py'), 'write', file, dtype, legacy ? '1' : '0'], { encoding: 'utf8' });
      process.stderr.write(`wrote ${file} (${(statSync(file).size / 2 ** 20).toFixed(0)} MiB): ${made.trim()}\n`);
    }
    const ours: (RunResult & { params: number })[] = [];
    const torch: RunResult[] = [];
    for (let r = 0; r < runs; r++) {
      // Alternate which goes first, so neither always gets the warmer page cache.
      const order = r % 2 === 0 ? ['ours', 'torch'] : ['torch', 'ours'];
      for (const who of order) {
        const load = loadavg()[0];
        if (who === 'ours') {
          const out = execFileSync(process.execPath, ['--import', 'tsx', join(HERE, '..', 'bench.ts'), 'torch-load', '--child', file], { encoding: 'utf8' });
          const res = JSON.parse(out.trim().split('\n').pop()!);
          ours.push(res);
          process.stdout.write(JSON.stringify({ bench: 'torch-load', runtime: 'speech-ssl', run: r, ...res, load_avg: round(load) }) + '\n');
        } else if (existsSync(PYTHON)) {
          const out = execFileSync(PYTHON, [join(HERE, 'torch_load_reference.py'), 'load', file], { encoding: 'utf8' });
          const res = JSON.parse(out.trim().split('\n').pop()!);
          torch.push(res);
          process.stdout.write(JSON.stringify({ bench: 'torch-load', runtime: 'torch', run: r, ...res, load_avg: round(load) }) + '\n');
        }
      }
    }
    const params = ours[0].params;
    const weightsMb = (params * 4) / 2 ** 20;
    const grow = (x: RunResult): number => x.peak_rss_mb - x.rss_before_mb;
    process.stdout.write(
      JSON.stringify({
        bench: 'torch-load',
        file_dtype: dtype,
        format: legacy ? 'legacy' : 'zip',
        params,
        float32_weights_mb: round(weightsMb, 1),
        seconds: round(median(ours.map((x) => x.seconds))),
        peak_rss_mb: round(median(ours.map((x) => x.peak_rss_mb)), 1),
        rss_growth_mb: round(median(ours.map(grow)), 1),
        rss_growth_over_weights: round(median(ours.map(grow)) / weightsMb),
        torch_seconds: torch.length ? round(median(torch.map((x) => x.seconds))) : null,
        torch_rss_growth_mb: torch.length ? round(median(torch.map(grow)), 1) : null,
        load_avg: round(loadavg()[0]),
      }) + '\n',
    );
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
