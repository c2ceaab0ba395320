import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { InputError } from '../util/errors.ts';

/**
 * Which onnxruntime execution provider a session uses. onnxruntime-node ships its CPU provider; the CUDA
 * provider's libraries are downloaded by its installer (`npm run setup:cuda`; this project's
 * package.json keeps npm from running it at install time, with allowScripts), into the package's own bin folder.
 */
export type Device = 'auto' | 'cpu' | 'cuda';
export const DEVICES: readonly Device[] = ['auto', 'cpu', 'cuda'];

const CUDA_LIBRARIES = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'];

/** The folder holding onnxruntime-node's native libraries for this platform. */
export function onnxruntimeBinDir(): string {
  const require = createRequire(import.meta.url);
  const pkg = dirname(require.resolve('onnxruntime-node/package.json'));
  return join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
}

/** The CUDA provider libraries missing from `binDir` (empty when the provider is installed). */
export function missingCudaLibraries(binDir = onnxruntimeBinDir()): string[] {
  if (process.platform !== 'linux' && process.platform !== 'win32') return ['(no CUDA build of onnxruntime-node for ' + process.platform + ')'];
  const names = process.platform === 'win32' ? ['onnxruntime_providers_shared.dll', 'onnxruntime_providers_cuda.dll'] : CUDA_LIBRARIES;
  return names.filter((n) => !existsSync(join(binDir, n))).map((n) => join(binDir, n));
}

export const CUDA_INSTALL_HINT =
  'install it with `npm run setup:cuda` (runs onnxruntime-node\'s installer for CUDA 12: it downloads the CUDA execution provider; ' +
  'the machine needs an NVIDIA driver, CUDA 12 and cuDNN 9), or use --device cpu';

/**
 * The execution providers to try for `device`: `cuda` when asked and installed (a clear error when not
 * installed), `auto` tries CUDA where installed and falls back to CPU.
 */
export function providersFor(device: Device, binDir?: string): ('cuda' | 'cpu')[] {
  if (device === 'cpu') return ['cpu'];
  const missing = missingCudaLibraries(binDir);
  if (device === 'cuda') {
    if (missing.length) throw new InputError(`the CUDA execution provider of onnxruntime-node is not installed (missing ${missing.join(', ')}); ${CUDA_INSTALL_HINT}`, { field: '--device cuda' });
    return ['cuda'];
  }
  return missing.length ? ['cpu'] : ['cuda', 'cpu'];
}
