import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { availableParallelism } from 'node:os';
import { registerWasm, wasmThreadsInUse } from './wasm-threads.ts';
import { installFastPaths } from './fast-paths.ts';
import { ensureGradients } from './gradients.ts';
import { OrtGemm } from './ort-gemm.ts';
import { setDenseProvider, denseProvider } from './ort-matmul.ts';

import { BACKEND_CHOICES, type BackendChoice } from './backend-choices.ts';

export { BACKEND_CHOICES, type BackendChoice };

export interface BackendOptions {
  /** Receives one line per fallback and one naming the backend that runs. */
  log?: (msg: string) => void;
  /**
   * wasm threads: a number, or `auto` = every core (at most 8). 1 selects the single-threaded SIMD build.
   * Default: the SPEECH_SSL_THREADS environment variable, else `auto`.
   */
  threads?: number | 'auto';
  /** Install the engine's fast paths (default true; false only to measure the stock kernels). */
  fastPaths?: boolean;
  /**
   * Dense products of the wasm and cpu backends on onnxruntime's native GEMM (src/engine/ort-gemm.ts),
   * on `threads` threads (default true; the SPEECH_SSL_NATIVE_GEMM environment variable set to 0 turns
   * it off). Unavailable (another onnxruntime-node version, sessions that fail): one line on `log`, and
   * the engine's own kernels run them.
   */
  nativeGemm?: boolean;
}

export interface BackendInfo {
  /** tfjs backend name now active: `tensorflow`, `wasm` or `cpu`. */
  name: string;
  /** wasm: the backend's threads; cpu: the onnxruntime GEMM's threads, else 1; 0 when unknown (tensorflow). */
  threads: number;
  /** e.g. `wasm (SIMD, 2 threads; products on onnxruntime 1.30.0, 2 threads)`, `tensorflow (@tensorflow/tfjs-node)`. */
  description: string;
}

const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;
let tensorflowPackage: string | null = null;
let current: BackendInfo | null = null;
/** onnxruntime GEMMs opened so far, by thread count (or why none could be). */
const gemms = new Map<number, OrtGemm | string>();

function nativeGemmWanted(option: boolean | undefined): boolean {
  if (option !== undefined) return option;
  const env = process.env.SPEECH_SSL_NATIVE_GEMM;
  return !(env !== undefined && ['0', 'false', 'off'].includes(env.trim().toLowerCase()));
}

/** Routes the dense products to onnxruntime's GEMM on `threads` threads, or says in one line why not. */
function selectGemm(wanted: boolean, threads: number, log: (m: string) => void): void {
  setDenseProvider(null);
  if (!wanted) return;
  let gemm = gemms.get(threads);
  if (gemm === undefined) {
    gemm = OrtGemm.open(threads);
    gemms.set(threads, gemm);
  }
  if (typeof gemm === 'string') log(`${gemm}; dense products stay on the engine's kernels`);
  else setDenseProvider(gemm);
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0].trim();
}

/** `threads`, else SPEECH_SSL_THREADS, else every core, as a thread count (at most 8). */
export function resolveThreads(threads: number | 'auto' | undefined): number {
  const env = process.env.SPEECH_SSL_THREADS;
  let t: number | 'auto' = threads ?? (env && env.trim() !== '' ? (env.trim() === 'auto' ? 'auto' : Number(env)) : 'auto');
  if (t === 'auto') t = Math.min(8, availableParallelism());
  if (!Number.isInteger(t) || t < 1) throw new Error(`threads: expected a positive integer or "auto", got ${String(threads ?? env)}`);
  return Math.min(8, t);
}

async function tryTensorflow(log: (m: string) => void): Promise<boolean> {
  const reasons: string[] = [];
  for (const pkg of tensorflowPackage ? [tensorflowPackage] : TENSORFLOW_PACKAGES) {
    try {
      await import(pkg as string);
      if (await tf.setBackend('tensorflow')) {
        tensorflowPackage = pkg;
        return true;
      }
      reasons.push(`${pkg}: loaded but the backend did not initialise`);
    } catch (e) {
      reasons.push(`${pkg}: ${firstLine(e)}`);
    }
  }
  log(`backend tensorflow not available (${reasons.join('; ')})`);
  return false;
}

async function tryWasm(threads: number, log: (m: string) => void): Promise<boolean> {
  if (threads >= 2) {
    try {
      registerWasm(threads);
      if (await tf.setBackend('wasm')) return true;
      log(`backend wasm: the ${threads}-thread build did not initialise; using the single-threaded build`);
    } catch (e) {
      log(`backend wasm: the ${threads}-thread build failed (${firstLine(e)}); using the single-threaded build`);
    }
  }
  try {
    registerWasm(1);
    if (await tf.setBackend('wasm')) return true;
    log('backend wasm did not initialise');
  } catch (e) {
    log(`backend wasm not available (${firstLine(e)})`);
  }
  return false;
}

/**
 * Selects and initialises a tfjs backend, registers the op gradients and installs the engine's fast paths. `auto` tries tensorflow
 * (tfjs-node-gpu, then tfjs-node), then wasm, then cpu. A backend that fails to load is reported in one
 * line on `log` and the next one is tried — also when a backend was named — so this never throws for a
 * missing backend; the return value says which one runs. Safe to call repeatedly (tests switch between
 * wasm and cpu in one process).
 */
export async function initBackend(choice: BackendChoice = 'auto', opts: BackendOptions | ((msg: string) => void) = {}): Promise<string> {
  const options: BackendOptions = typeof opts === 'function' ? { log: opts } : opts;
  const log = options.log ?? (() => {});
  if (!BACKEND_CHOICES.includes(choice)) throw new Error(`backend: expected one of ${BACKEND_CHOICES.join(', ')}, got "${choice}"`);
  await ensureGradients();
  if (options.fastPaths !== false) installFastPaths();
  const threads = resolveThreads(options.threads);
  const order: Exclude<BackendChoice, 'auto'>[] = choice === 'auto' || choice === 'tensorflow' ? ['tensorflow', 'wasm', 'cpu'] : choice === 'wasm' ? ['wasm', 'cpu'] : ['cpu'];
  for (const name of order) {
    let ok = false;
    if (name === 'tensorflow') ok = await tryTensorflow(log);
    else if (name === 'wasm') ok = await tryWasm(threads, log);
    else {
      // tfjs-backend-cpu greets Node users with a multi-line banner recommending tfjs-node on first use;
      // the choice of backend is already reported above, so production mode keeps that banner out.
      tf.enableProdMode();
      ok = await tf.setBackend('cpu');
    }
    if (ok) {
      await tf.ready();
      if (name !== 'tensorflow') selectGemm(options.fastPaths !== false && nativeGemmWanted(options.nativeGemm), threads, log);
      else setDenseProvider(null);
      current = describe(tf.getBackend());
      if (name !== choice && choice !== 'auto') log(`backend ${choice} unavailable; running on ${current.description}`);
      return current.name;
    }
  }
  throw new Error('no tfjs backend could be initialised (not even cpu)');
}

function plural(n: number): string {
  return `${n} thread${n === 1 ? '' : 's'}`;
}

function describe(name: string): BackendInfo {
  const gemm = denseProvider();
  const products = gemm ? `; products on onnxruntime ${gemm.version}, ${plural(gemm.threads)}` : '';
  if (name === 'wasm') {
    const t = wasmThreadsInUse();
    return { name, threads: t, description: `wasm (SIMD, ${plural(t)}${products})` };
  }
  if (name === 'tensorflow') return { name, threads: 0, description: `tensorflow (${tensorflowPackage ?? 'native'})` };
  return { name, threads: gemm ? gemm.threads : 1, description: `cpu (pure JS${products})` };
}

/** What `initBackend` last selected (null before the first call). */
export function backendInfo(): BackendInfo | null {
  return current && current.name === tf.getBackend() ? current : current ? describe(tf.getBackend()) : null;
}
