import * as tf from '@tensorflow/tfjs-core';
import * as wasmBackend from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as workerThreads from 'node:worker_threads';

/**
 * Multi-threaded wasm backend for Node.
 *
 * tfjs-backend-wasm ships a threaded SIMD build (XNNPACK on a pthreadpool) but never uses it in Node: its
 * feature probe answers "no threads" whenever it runs under Node. This file loads that build itself and
 * registers it under the backend name `wasm`, so every wasm kernel (registered by name) runs on it.
 * Three things the stock loader does not handle in Node are done here:
 *  - the pthread worker script is written to a file (Node workers cannot start from a blob URL), and
 *    workers start without the parent's `--import` hooks (they run plain CommonJS);
 *  - the C side caps its pool at `logicalCores / 2` (it assumes hyper-threading), so on a 2-core machine
 *    it would run one thread; while the module initialises, `os.cpus()` reports twice the cores asked for;
 *  - the pool's workers are unref'd so that they never keep a finished process alive.
 */

const require = createRequire(import.meta.url);

interface EmscriptenWorker {
  unref(): void;
}

interface ThreadedModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
  PThread: { runningWorkers: EmscriptenWorker[]; unusedWorkers: EmscriptenWorker[]; terminateAllThreads(): void };
  tfjs?: Record<string, unknown>;
}

type ThreadedFactory = (config: Record<string, unknown>) => Promise<ThreadedModule>;

function packageDir(): string {
  return dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
}

/** Writes the pthread worker script (shipped as a JS string) to a content-addressed temp file. */
function workerScriptPath(dir: string): string {
  const { wasmWorkerContents } = require(join(dir, 'wasm-out/tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  // The string holds `\n` escapes that the template literal turned into newlines inside JS string literals.
  const source = wasmWorkerContents.replace(/\n/g, '\\n');
  const hash = createHash('sha1').update(source).digest('hex').slice(0, 12);
  const path = join(tmpdir(), `speech-ssl-tfjs-wasm-worker-${hash}.cjs`);
  if (!existsSync(path) || readFileSync(path, 'utf8') !== source) {
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, source);
    renameSync(tmp, path);
  }
  return path;
}

/** Runs `fn` with `os.cpus()` reporting `2 * cores` entries and workers starting without loader hooks. */
async function withThreadingShims<T>(cores: number, fn: () => Promise<T>): Promise<T> {
  const os = require('node:os') as typeof import('node:os');
  const realCpus = os.cpus;
  const realWorker = workerThreads.Worker;
  const one = realCpus.call(os)[0];
  os.cpus = () => Array.from({ length: 2 * cores }, () => one);
  class PlainWorker extends realWorker {
    constructor(filename: string | URL, options: workerThreads.WorkerOptions = {}) {
      super(filename, { ...options, execArgv: [] });
    }
  }
  const wt = require('node:worker_threads') as { Worker: typeof workerThreads.Worker };
  wt.Worker = PlainWorker;
  try {
    return await fn();
  } finally {
    os.cpus = realCpus;
    wt.Worker = realWorker;
  }
}

type BackendFactory = () => tf.KernelBackend | Promise<tf.KernelBackend>;
let stockFactory: BackendFactory | null = null;
let registered: 'stock' | number = 'stock';

/**
 * Makes `tf.setBackend('wasm')` create the threaded build with `threads` threads (>= 2), or the stock
 * single-threaded SIMD build for `threads` <= 1. A wasm backend already created with another setting is
 * disposed (with its tensors). A failure of the threaded build surfaces as `tf.setBackend('wasm')`
 * resolving to false.
 */
export function registerWasm(threads: number): void {
  const engine = tf.engine();
  if (stockFactory === null) {
    stockFactory = engine.findBackendFactory('wasm');
    if (!stockFactory) throw new Error('tfjs-backend-wasm did not register its backend');
  }
  const want: 'stock' | number = threads >= 2 ? threads : 'stock';
  if (want === registered && engine.registryFactory.wasm) return;
  if (engine.registryFactory.wasm) tf.removeBackend('wasm');
  if (want === 'stock') tf.registerBackend('wasm', stockFactory, 2);
  else tf.registerBackend('wasm', () => createThreadedBackend(want), 2);
  registered = want;
}

async function createThreadedBackend(threads: number): Promise<tf.KernelBackend> {
  const dir = packageDir();
  const factoryPath = join(dir, 'wasm-out/tfjs-backend-wasm-threaded-simd.js');
  const factory = require(factoryPath) as ThreadedFactory;
  const worker = workerScriptPath(dir);
  const mod = await withThreadingShims(threads, () =>
    factory({
      locateFile: (p: string) => (p.endsWith('.worker.js') ? worker : join(dir, 'dist', p)),
      mainScriptUrlOrBlob: factoryPath,
    }),
  );
  mod.tfjs = {
    init: mod.cwrap('init', null, []),
    initWithThreadsCount: mod.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: mod.cwrap('get_threads_count', 'number', []),
    registerTensor: mod.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: mod.cwrap('dispose_data', null, ['number']),
    dispose: mod.cwrap('dispose', null, []),
  };
  wasmBackend.setThreadsCount(threads);
  const backend = new wasmBackend.BackendWasm(mod as unknown as ConstructorParameters<typeof wasmBackend.BackendWasm>[0]);
  for (const w of [...mod.PThread.runningWorkers, ...mod.PThread.unusedWorkers]) w.unref();
  return backend;
}

/** Threads the active wasm backend runs (1 for the single-threaded build). */
export function wasmThreadsInUse(): number {
  try {
    return wasmBackend.getThreadsCount();
  } catch {
    return 1;
  }
}
