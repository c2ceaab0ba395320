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

/** A set of started worker threads that run batches of tasks; a crashed worker is replaced. */
export class WorkerPool {
  private constructor(private readonly init: WorkerInit, private readonly workers: Worker[]) {}

  static async start(jobs: number, features: string, values: OptionValues): Promise<WorkerPool> {
    const init: WorkerInit = { features, values };
    const workers = await Promise.all(Array.from({ length: Math.max(1, jobs) }, () => startWorker(init)));
    return new WorkerPool(init, workers);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Runs `tasks`, calling `onResult` as each finishes (in completion order). */
  async run(tasks: readonly ExtractTask[], onResult: (r: ExtractResult) => void): Promise<void> {
    let i = 0;
    const next = () => (i < tasks.length ? tasks[i++] : undefined);
    await Promise.all(this.workers.map((_, w) => this.drive(w, next, onResult)));
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private async drive(slot: number, next: () => ExtractTask | undefined, onResult: (r: ExtractResult) => void): Promise<void> {
    for (let task = next(); task; task = next()) {
      const t = task;
      const worker = this.workers[slot];
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
        this.workers[slot] = await startWorker(this.init);
      }
    }
  }
}

/** Runs `tasks` on `jobs` worker threads started for the purpose, calling `onResult` as each finishes. */
export async function runOnWorkers(tasks: readonly ExtractTask[], jobs: number, features: string, values: OptionValues, onResult: (r: ExtractResult) => void): Promise<void> {
  const pool = await WorkerPool.start(Math.min(jobs, tasks.length), features, values);
  try {
    await pool.run(tasks, onResult);
  } finally {
    await pool.close();
  }
}
