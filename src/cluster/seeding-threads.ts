import { Worker } from 'node:worker_threads';
import { runClaimedSeedings, seedingResults, type SeedingJobs, type SeedingResults } from './seedings.ts';

/**
 * Runs the n_init seedings on `threads` threads: this one plus threads - 1 worker threads, all claiming jobs
 * from one shared counter, over one shared copy of the data. The caller stays synchronous: it seeds too,
 * then blocks (Atomics.wait) until the workers report. A worker that fails to start or dies leaves its
 * unfinished jobs to this thread, so the result never depends on the workers (only the time does).
 * Workers run the TypeScript sources: the bootstrap registers tsx's loader in the worker first.
 */
export interface SeedingWorkerData {
  jobs: SeedingJobs;
  results: SeedingResults;
  status: Int32Array;
  slot: number;
}

/** workersUsed: workers that reported done before the results were complete; leftovers: jobs this thread redid for failed workers. */
export interface SeedingRun {
  results: SeedingResults;
  workersUsed: number;
  leftovers: number;
}

export const WORKER_RUNNING = 0;
export const WORKER_DONE = 1;
export const WORKER_FAILED = 2;
/** Give up on a worker that has not finished this long after this thread ran out of jobs. */
const WORKER_WAIT_MS = 60_000;

/**
 * `threads` counts this thread; `opts.workersOnly` keeps this thread from claiming jobs (it then only waits
 * and finishes what failed workers left), which tests use to check the worker path on its own.
 */
export function runSeedings(jobs: SeedingJobs, threads: number, opts: { workersOnly?: boolean } = {}): SeedingRun {
  const nInit = jobs.rngStates.length;
  const workers = Math.max(0, Math.min(threads, nInit) - 1);
  if (workers === 0) {
    const results = seedingResults(nInit, jobs.k, jobs.dims, false);
    runClaimedSeedings(jobs, results);
    return { results, workersUsed: 0, leftovers: 0 };
  }
  const shared = sharedJobs(jobs);
  const results = seedingResults(nInit, jobs.k, jobs.dims, true);
  const status = new Int32Array(new SharedArrayBuffer(4 * workers));
  const started: Worker[] = [];
  for (let w = 0; w < workers; w++) {
    try {
      const data: SeedingWorkerData = { jobs: shared, results, status, slot: w };
      const worker = new Worker(bootstrapCode(), { eval: true, workerData: data, execArgv: [] });
      worker.unref();
      // Errors are also reported through `status`; this keeps an unhandled 'error' event from throwing later.
      worker.on('error', () => {});
      started.push(worker);
    } catch {
      Atomics.store(status, w, WORKER_FAILED);
    }
  }
  if (!opts.workersOnly) runClaimedSeedings(shared, results);
  const allDone = () => {
    for (let r = 0; r < nInit; r++) if (Atomics.load(results.done, r) === 0) return false;
    return true;
  };
  const giveUp = Date.now() + WORKER_WAIT_MS;
  for (let w = 0; w < workers; w++) {
    while (Atomics.load(status, w) === WORKER_RUNNING && !allDone() && Date.now() < giveUp) Atomics.wait(status, w, WORKER_RUNNING, 20);
  }
  let leftovers = 0;
  for (let r = 0; r < nInit; r++) if (Atomics.load(results.done, r) === 0) leftovers++;
  if (leftovers > 0) runClaimedSeedings(shared, results, true);
  for (const worker of started) void worker.terminate();
  let used = 0;
  for (let w = 0; w < workers; w++) if (Atomics.load(status, w) === WORKER_DONE) used++;
  return { results, workersUsed: used, leftovers };
}

/** The jobs with data, norms and validation rows in shared memory (copied once). */
function sharedJobs(jobs: SeedingJobs): SeedingJobs {
  const share = <T extends Float32Array | Float64Array | Int32Array>(a: T, make: (b: SharedArrayBuffer) => T): T => {
    const out = make(new SharedArrayBuffer(a.byteLength));
    out.set(a);
    return out;
  };
  return {
    ...jobs,
    data: share(jobs.data.subarray(0, jobs.n * jobs.dims), (b) => new Float32Array(b)),
    sqNorms: share(jobs.sqNorms, (b) => new Float64Array(b)),
    validRows: share(jobs.validRows, (b) => new Int32Array(b)),
  };
}

function bootstrapCode(): string {
  const workerUrl = new URL('./seeding-worker.ts', import.meta.url).href;
  let tsxApi: string | null = null;
  try {
    tsxApi = import.meta.resolve('tsx/esm/api');
  } catch {
    tsxApi = null;
  }
  const load = tsxApi
    ? `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(workerUrl)}); })`
    : `import(${JSON.stringify(workerUrl)})`;
  // A failure to load the worker module is reported the same way as a failure inside it.
  return `const { workerData } = require('node:worker_threads');
${load}.catch(() => { Atomics.store(workerData.status, workerData.slot, ${WORKER_FAILED}); Atomics.notify(workerData.status, workerData.slot); });`;
}
