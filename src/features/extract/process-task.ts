/**
 * The unit of work `extract` hands to a thread: featurize one file, then either write its .npy (per-file
 * outputs, written by the thread that computed them) or return the matrix (shard files, written in order
 * by the main thread). Never throws: a failure comes back as a result naming the problem.
 */
import { InputError, errorMessage } from '../../util/errors.ts';
import type { Featurizer } from '../featurizer.ts';
import { featurizeFile } from './featurize-file.ts';
import { writeMatrixNpy } from './npy-writers.ts';

export interface ExtractTask {
  index: number;
  path: string;
  rel: string;
  /** Where to write the .npy; null to return the data instead. */
  out: string | null;
}

export type ExtractResult =
  | { index: number; ok: true; frames: number; dims: number; seconds: number; data?: Float32Array }
  | { index: number; ok: false; message: string };

/** The problem without the "file: " prefix InputError adds (the failure row names the file already). */
export function problemOf(e: unknown, path: string): string {
  const msg = errorMessage(e);
  if (e instanceof InputError && e.file && msg.startsWith(`${e.file}: `)) return msg.slice(e.file.length + 2);
  if (msg.startsWith(`${path}: `)) return msg.slice(path.length + 2);
  return msg;
}

export async function processTask(task: ExtractTask, featurizer: Featurizer): Promise<ExtractResult> {
  try {
    const { matrix, seconds } = await featurizeFile(task.path, featurizer, task.rel);
    if (task.out) {
      writeMatrixNpy(task.out, matrix);
      return { index: task.index, ok: true, frames: matrix.frames, dims: matrix.dims, seconds };
    }
    return { index: task.index, ok: true, frames: matrix.frames, dims: matrix.dims, seconds, data: matrix.data };
  } catch (e) {
    return { index: task.index, ok: false, message: problemOf(e, task.path) };
  }
}
