/**
 * Runs extract tasks on N worker threads. Workers execute the TypeScript sources: each is started from a
 * small script that registers tsx's ESM loader in the worker (loaders from the parent's --import do not
 * reach worker threads on Node 20), then imports worker.ts. A worker that dies fails its task and is
 * replaced, so one crash never stops the corpus.
 */
import { Worker } from 'node:worker_threads';
import type { OptionValues } from '../feature-options.ts';
import type { ExtractResult, ExtractTask } from './process-task.ts';
import type { WorkerInit } from './worker.ts';

function bootstrapCode(): string {
  const workerUrl = new URL('./worker.ts', import.meta.url).href;
  let tsxApi: string | null = null;
  try {
    tsxApi = import.meta.resolve('tsx/esm/api');
  } catch {
    tsxApi = null;
  }
  if (!tsxApi) return `import(${JSON.stringify(workerUrl)})`;
  return `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(workerUrl)}); })`;
}

function startWorker(init: WorkerInit): Promise<Worker> {
  return new Promise((resolve, reject) => {
    const w = new Worker(bootstrapCode(), { eval: true, workerData: init, execArgv: [] });
    const onMessage = (m: unknown) => {
      if (m && typeof m === 'object' && 'ready' in m) {
        w.off('error', onError);
        w.off('message', onMessage);
        resolve(w);
      }
    };
    const onError = (e: Error) => reject(e);
    w.on('message', onMessage);
    w.once('error', onError);
  });
}

/** One worker's life: pull tasks until none are left; a crash fails the task and restarts the worker. */
async function drive(init: WorkerInit, next: () => ExtractTask | undefined, onResult: (r: ExtractResult) => void): Promise<void> {
  let worker = await startWorker(init);
  try {
    for (let task = next(); task; task = next()) {
      const t = task;
      const result = await new Promise<ExtractResult>((resolve) => {
        const cleanup = () => {
          worker.off('message', onMessage);
          worker.off('error', onError);
          worker.off('exit', onExit);
        };
        const onMessage = (r: ExtractResult) => {
          cleanup();
          resolve(r);
        };
        const onError = (e: Error) => {
          cleanup();
          resolve({ index: t.index, ok: false, message: `worker thread failed: ${e.message}` });
        };
        const onExit = (code: number) => {
          cleanup();
          resolve({ index: t.index, ok: false, message: `worker thread exited (code ${code})` });
        };
        worker.on('message', onMessage);
        worker.once('error', onError);
        worker.once('exit', onExit);
        worker.postMessage(t);
      });
      onResult(result);
      if (!result.ok && result.message.startsWith('worker thread')) {
        await worker.terminate();
        worker = await startWorker(init);
      }
    }
  } finally {
    await worker.terminate();
  }
}

/** Runs `tasks` on `jobs` worker threads, calling `onResult` as each finishes (in completion order). */
export async function runOnWorkers(tasks: readonly ExtractTask[], jobs: number, features: string, values: OptionValues, onResult: (r: ExtractResult) => void): Promise<void> {
  let i = 0;
  const next = () => (i < tasks.length ? tasks[i++] : undefined);
  const init: WorkerInit = { features, values };
  const n = Math.max(1, Math.min(jobs, tasks.length));
  await Promise.all(Array.from({ length: n }, () => drive(init, next, onResult)));
}
