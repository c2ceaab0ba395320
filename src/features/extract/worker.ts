/**
 * Entry of an `extract` worker thread: builds the featurizer from the spec it was started with, then
 * processes one task per message and posts the result (feature data transferred, not copied).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createFeaturizer } from '../featurizer.ts';
import type { OptionValues } from '../feature-options.ts';
import { processTask, type ExtractTask } from './process-task.ts';

export interface WorkerInit {
  features: string;
  values: OptionValues;
}

const port = parentPort;
if (!port) throw new Error('extract worker: not running in a worker thread');
const init = workerData as WorkerInit;
const featurizer = await createFeaturizer(init.features, init.values);
port.on('message', (task: ExtractTask) => {
  void processTask(task, featurizer).then((result) => {
    if (result.ok && result.data) port.postMessage(result, [result.data.buffer as ArrayBuffer]);
    else port.postMessage(result);
  });
});
port.postMessage({ ready: true });
