/**
 * The corpus loop's path for featurizers that run utterances in batches (a model): a window of a few
 * batches' worth of files is decoded (mono, resampled to the featurizer's rate), sorted by length and cut
 * into batches, so padding stays small and memory bounded. Results are still per file: each output is
 * written (or handed back for shard files) as its batch finishes, a file that fails to decode fails
 * alone, and a batch that throws is recomputed one utterance at a time so only the bad one fails.
 */
import type { FeatureMatrix, Featurizer } from '../featurizer.ts';
import { featurizeFile } from './featurize-file.ts';
import { writeMatrixNpy } from './npy-writers.ts';
import { problemOf, type ExtractResult, type ExtractTask } from './process-task.ts';

/** Batches decoded at a time (per window): enough to sort by length, little enough to bound memory. */
const BATCHES_PER_WINDOW = 4;

interface Loaded {
  task: ExtractTask;
  waveform: Float32Array;
  seconds: number;
}

/** A featurizer that returns the resampled waveform itself, so featurizeFile decodes for a batch. */
function waveformAt(sampleRate: number): Featurizer {
  return { kind: 'waveform', sampleRate, dims: 1, config: {}, compute: (w) => ({ data: w.slice(), frames: w.length, dims: 1 }) };
}

function finish(l: Loaded, m: FeatureMatrix): ExtractResult {
  if (m.data.length !== m.frames * m.dims) throw new Error(`featurizer returned ${m.data.length} values for ${m.frames} x ${m.dims}`);
  if (l.task.out) {
    writeMatrixNpy(l.task.out, m);
    return { index: l.task.index, ok: true, frames: m.frames, dims: m.dims, seconds: l.seconds };
  }
  return { index: l.task.index, ok: true, frames: m.frames, dims: m.dims, seconds: l.seconds, data: m.data };
}

async function alone(l: Loaded, featurizer: Featurizer): Promise<ExtractResult> {
  try {
    return finish(l, await featurizer.compute(l.waveform, { key: l.task.rel, expectedSamples: l.waveform.length }));
  } catch (e) {
    return { index: l.task.index, ok: false, message: problemOf(e, l.task.path) };
  }
}

export async function runBatched(tasks: readonly ExtractTask[], featurizer: Featurizer, onResult: (r: ExtractResult) => void): Promise<void> {
  const batchSize = Math.max(1, featurizer.batchSize ?? 1);
  const decoder = waveformAt(featurizer.sampleRate);
  for (let start = 0; start < tasks.length; start += batchSize * BATCHES_PER_WINDOW) {
    const loaded: Loaded[] = [];
    for (const task of tasks.slice(start, start + batchSize * BATCHES_PER_WINDOW)) {
      try {
        const { matrix, seconds } = await featurizeFile(task.path, decoder, task.rel);
        loaded.push({ task, waveform: matrix.data, seconds });
      } catch (e) {
        onResult({ index: task.index, ok: false, message: problemOf(e, task.path) });
      }
    }
    loaded.sort((a, b) => a.waveform.length - b.waveform.length);
    for (let b = 0; b < loaded.length; b += batchSize) {
      const group = loaded.slice(b, b + batchSize);
      let mats: FeatureMatrix[] | undefined;
      try {
        mats = await featurizer.computeBatch!(group.map((l) => l.waveform), group.map((l) => ({ key: l.task.rel, expectedSamples: l.waveform.length })));
      } catch {
        mats = undefined;
      }
      for (const [k, l] of group.entries()) {
        let r: ExtractResult;
        if (!mats) r = await alone(l, featurizer);
        else {
          try {
            r = finish(l, mats[k]);
          } catch (e) {
            r = { index: l.task.index, ok: false, message: problemOf(e, l.task.path) };
          }
        }
        onResult(r);
      }
    }
  }
}
