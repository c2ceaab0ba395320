/**
 * Entry of a seeding worker thread (see seeding-threads.ts): claims and runs seedings until none are left,
 * then reports done (or failed) through the shared status word.
 */
import { workerData } from 'node:worker_threads';
import { runClaimedSeedings } from './seedings.ts';
import { WORKER_DONE, WORKER_FAILED, type SeedingWorkerData } from './seeding-threads.ts';

const init = workerData as SeedingWorkerData;
let outcome = WORKER_DONE;
try {
  runClaimedSeedings(init.jobs, init.results);
} catch {
  outcome = WORKER_FAILED;
}
Atomics.store(init.status, init.slot, outcome);
Atomics.notify(init.status, init.slot);
