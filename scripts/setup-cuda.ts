/**
 * `npm run setup:cuda`: installs onnxruntime-node's CUDA execution provider (CUDA 12 build) by running the
 * package's own installer, which this project's package.json keeps npm from running at install time
 * (`allowScripts: { "onnxruntime-node": false }`, npm 11.16+). ONNXRUNTIME_NODE_INSTALL takes precedence
 * over any npm_config_onnxruntime_node_install in the installer. It is set to `true` (force-install the platform's unbundled files, which on linux/x64 are
 * exactly the `cuda12` manifest), not to `cuda12`: onnxruntime-node 1.30's flag parser returns nothing for
 * a named manifest, and the installer then treats a run from the project root as a local install and
 * exits without installing. The installer downloads Microsoft.ML.OnnxRuntime.Gpu.Linux from NuGet and
 * unpacks the provider libraries next to onnxruntime-node's binding.
 * `--dry-run` prints what would run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingCudaLibraries, onnxruntimeBinDir } from '../src/export/providers.ts';

export interface InstallPlan {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

/** The installer invocation: node <onnxruntime-node>/script/install.js, forced to install (the CUDA 12 manifest on linux/x64). */
export function installPlan(): InstallPlan {
  const require = createRequire(import.meta.url);
  const pkg = dirname(require.resolve('onnxruntime-node/package.json'));
  const script = join(pkg, 'script', 'install.js');
  if (!existsSync(script)) throw new Error(`onnxruntime-node's installer is missing (${script}); reinstall onnxruntime-node`);
  return { command: process.execPath, args: [script], cwd: pkg, env: { ONNXRUNTIME_NODE_INSTALL: 'true' } };
}

function main(argv: string[]): number {
  if (`${process.platform}/${process.arch}` !== 'linux/x64') {
    process.stderr.write(`setup:cuda: onnxruntime-node publishes its CUDA provider for linux/x64 only (this is ${process.platform}/${process.arch})\n`);
    return 2;
  }
  const plan = installPlan();
  if (argv.includes('--dry-run')) {
    process.stdout.write(`${Object.entries(plan.env).map(([k, v]) => `${k}=${v}`).join(' ')} ${plan.command} ${plan.args.join(' ')}  (in ${plan.cwd})\n`);
    return 0;
  }
  if (missingCudaLibraries().length === 0) {
    process.stdout.write(`setup:cuda: the CUDA execution provider is already installed in ${onnxruntimeBinDir()}\n`);
    return 0;
  }
  process.stdout.write('setup:cuda: downloading the CUDA 12 build of the onnxruntime execution providers (a few hundred MB)...\n');
  const res = spawnSync(plan.command, plan.args, { cwd: plan.cwd, env: { ...process.env, ...plan.env }, stdio: 'inherit' });
  const missing = missingCudaLibraries();
  if (res.status !== 0 || missing.length) {
    process.stderr.write(`setup:cuda: the installer ${res.status !== 0 ? `exited with ${res.status ?? res.signal}` : 'finished'} but ${missing.length ? `these are missing: ${missing.join(', ')}` : 'reported a failure'}\n`);
    return 1;
  }
  process.stdout.write(`setup:cuda: installed into ${onnxruntimeBinDir()}. The machine also needs an NVIDIA driver, CUDA 12 and cuDNN 9; check with: speech-ssl extract --features model.onnx --device cuda ...\n`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.slice(2));
