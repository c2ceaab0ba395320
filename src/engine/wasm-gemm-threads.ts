import { Worker } from 'node:worker_threads';
import { batchedGemm, gemmModuleBytes, type BatchedGemm } from './wasm-simd-gemm.ts';
import { isSharedMemory } from './wasm-modules.ts';

/**
 * The batched SIMD product (wasm-simd-gemm.ts) on two threads: this one and one worker thread that has
 * its own instance of the same module over the same shared WebAssembly memory (the threaded wasm
 * build's). A call gives the worker the second half of the batch items, computes the first half here,
 * then waits (Atomics.wait) for the worker. Each item is computed by the same code whichever thread
 * runs it, so results do not depend on the split. XNNPACK's own pool threads are parked while this
 * kernel runs, so the two threads do not compete with them.
 *
 * Control words (Int32Array over a SharedArrayBuffer): [0] state (STARTING, IDLE, POSTED, DONE,
 * FAILED), [1..10] the job's arguments. Until the worker has said IDLE (it starts asynchronously), with
 * no shared memory, or when the worker cannot start, calls run on this thread alone.
 */

const IDLE = 0;
const POSTED = 1;
const DONE = 2;
const FAILED = 3;
/** Set before the worker starts; the worker sets IDLE once its module is instantiated. */
const STARTING = 4;

/** Items below this many multiply-adds in all are not worth a hand-off (~20-50 us each way). */
const MIN_SPLIT_MACS = 1 << 20;

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control } = workerData;
const bmm = new WebAssembly.Instance(module, { env: { memory } }).exports.bmm;
const c = new Int32Array(control);
Atomics.store(c, 0, ${IDLE});
for (;;) {
  const state = Atomics.load(c, 0);
  if (state !== ${POSTED}) { Atomics.wait(c, 0, state); continue; }
  let result = ${DONE};
  try { bmm(c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10]); } catch (e) { result = ${FAILED}; }
  Atomics.store(c, 0, result);
  Atomics.notify(c, 0);
}
`;

interface Pool {
  local: BatchedGemm;
  control: Int32Array | null;
}

const pools = new WeakMap<WebAssembly.Memory, Pool>();
let threadsAllowed = true;

/** Turns the worker thread off (or on again); the benchmark and tests compare both. */
export function setGemmThreads(on: boolean): void {
  threadsAllowed = on;
}

function startWorker(memory: WebAssembly.Memory): Int32Array | null {
  try {
    const control = new Int32Array(new SharedArrayBuffer(4 * 11));
    control[0] = STARTING;
    const module = new WebAssembly.Module(gemmModuleBytes(true));
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, control: control.buffer }, execArgv: [] });
    worker.unref();
    worker.on('error', () => Atomics.store(control, 0, FAILED));
    return control;
  } catch {
    return null;
  }
}

function poolFor(memory: WebAssembly.Memory): Pool {
  let pool = pools.get(memory);
  if (!pool) {
    pool = { local: batchedGemm(memory), control: isSharedMemory(memory) ? startWorker(memory) : null };
    pools.set(memory, pool);
  }
  return pool;
}

/** Whether products on `memory` can go to the worker now: it started (after the first product) and is ready. */
export function gemmWorkerReady(memory: WebAssembly.Memory): boolean {
  const control = pools.get(memory)?.control;
  if (!control) return false;
  const state = Atomics.load(control, 0);
  return state !== STARTING && state !== FAILED;
}

/** The batched product of wasm-simd-gemm.ts, its batch split across this thread and the worker. */
export function threadedBatchedGemm(memory: WebAssembly.Memory): BatchedGemm {
  const pool = poolFor(memory);
  return (a, b, c, m, k, n, batch, strideA, strideB, strideC) => {
    const control = pool.control;
    if (!control || !threadsAllowed || batch < 2 || m * k * n * batch < MIN_SPLIT_MACS || Atomics.load(control, 0) !== IDLE) {
      pool.local(a, b, c, m, k, n, batch, strideA, strideB, strideC);
      return;
    }
    const mine = batch >> 1;
    const args = [a + mine * strideA, b + mine * strideB, c + mine * strideC, m, k, n, batch - mine, strideA, strideB, strideC];
    for (let i = 0; i < args.length; i++) control[i + 1] = args[i];
    Atomics.store(control, 0, POSTED);
    Atomics.notify(control, 0);
    pool.local(a, b, c, m, k, n, mine, strideA, strideB, strideC);
    for (;;) {
      const state = Atomics.load(control, 0);
      if (state === DONE) break;
      if (state === FAILED) {
        // The worker is gone (or threw): never hand it work again; its half is done here.
        pool.control = null;
        pool.local(args[0], args[1], args[2], m, k, n, batch - mine, strideA, strideB, strideC);
        return;
      }
      Atomics.wait(control, 0, state, 1000);
    }
    Atomics.store(control, 0, IDLE);
  };
}
