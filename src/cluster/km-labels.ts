import { readFileSync } from 'node:fs';
import { InputError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import type { Manifest } from '../data/manifest.ts';

/**
 * fairseq's k-means label files: `{split}.km` holds one line per manifest line, the cluster id of every
 * frame separated by spaces; `dict.km.txt` holds one "id count" line per cluster (the HuBERT task builds
 * its target dictionary from it). Writers are atomic; the validator is what a dataset calls before
 * training, because a label file made at the wrong frame rate trains silently on garbage.
 */

export function formatKmLine(labels: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < labels.length; i++) s += (i ? ' ' : '') + labels[i];
  return s;
}

/** Per-cluster frame counts over all utterances. */
export function clusterCounts(utterances: ArrayLike<number>[], k: number): number[] {
  const counts = new Array<number>(k).fill(0);
  for (const u of utterances) for (let i = 0; i < u.length; i++) counts[u[i]]++;
  return counts;
}

/** `dict.km.txt` text: "id count" for every cluster id 0..k-1 (also unused ones: the model's output size is k). */
export function formatKmDictionary(counts: number[]): string {
  if (counts.length === 0) throw new InputError('refusing to write an empty dictionary (k = 0)', { file: 'dict.km.txt' });
  return counts.map((c, id) => `${id} ${c}`).join('\n') + '\n';
}

/** Writes `{file}` (one line per utterance) atomically. Refuses an empty label set. */
export function writeKmFile(file: string, utterances: ArrayLike<number>[]): void {
  if (utterances.length === 0) throw new InputError('no utterances to label', { file });
  writeFileAtomic(file, utterances.map(formatKmLine).join('\n') + '\n');
}

export function writeKmDictionary(file: string, counts: number[]): void {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) throw new InputError('refusing to write an empty dictionary (no frames were labelled)', { file });
  writeFileAtomic(file, formatKmDictionary(counts));
}

/** Reads a `.km` file: an array of label sequences; errors name the line. */
export function readKmFile(file: string): Int32Array[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read labels: ${(e as Error).message}`, { file });
  }
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((line, i) => {
    const parts = line.trim() === '' ? [] : line.trim().split(/\s+/);
    const out = new Int32Array(parts.length);
    for (let j = 0; j < parts.length; j++) {
      const v = Number(parts[j]);
      if (!Number.isInteger(v) || v < 0) throw new InputError(`line ${i + 1}, item ${j + 1}: expected a cluster id, got "${parts[j]}"`, { file });
      out[j] = v;
    }
    return out;
  });
}

/** Reads `dict.km.txt`: the number of ids (they must be 0..n-1 in order, as fairseq's writer makes them). */
export function readKmDictionary(file: string): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read dictionary: ${(e as Error).message}`, { file });
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new InputError('empty dictionary: no "id count" lines', { file });
  lines.forEach((l, i) => {
    const [sym, count] = l.trim().split(/\s+/);
    if (sym !== String(i) || !/^\d+$/.test(count ?? '')) throw new InputError(`line ${i + 1}: expected "${i} <count>", got "${l.slice(0, 40)}"`, { file });
  });
  return lines.length;
}

export interface LabelRateCheck {
  /** Label frames per second (fairseq `label_rate`: 100 for MFCC labels, 50 for HuBERT-layer labels). */
  labelRate: number;
  /** Samples per second of the manifest's `num_samples`. */
  sampleRate: number;
  /** Allowed |label duration - audio duration| per utterance, in seconds (fairseq's verify_label_lengths: 0.1). */
  toleranceSeconds?: number;
}

export interface KmCheckReport {
  utterances: number;
  frames: number;
  /** Label frames per second of audio over the whole set. */
  observedRate: number;
}

/**
 * Checks label sequences against a manifest: one per manifest line, lengths matching the audio duration at
 * `labelRate`, ids inside the dictionary. Throws one InputError that lists every problem found.
 */
export function validateKmLabels(labels: ArrayLike<number>[], manifest: Manifest, check: LabelRateCheck, where: { file: string; numClusters?: number }): KmCheckReport {
  const tol = check.toleranceSeconds ?? 0.1;
  if (!(check.labelRate > 0) || !(check.sampleRate > 0)) throw new InputError('label rate and sample rate must be positive', { file: where.file });
  if (labels.length !== manifest.entries.length) {
    throw new InputError(`${labels.length} label lines but the manifest has ${manifest.entries.length} utterances (one line per manifest line expected)`, { file: where.file });
  }
  const problems: string[] = [];
  let frames = 0, seconds = 0;
  labels.forEach((seq, i) => {
    const e = manifest.entries[i];
    const audioSec = e.numSamples / check.sampleRate;
    const labelSec = seq.length / check.labelRate;
    frames += seq.length;
    seconds += audioSec;
    if (Math.abs(audioSec - labelSec) > tol) {
      problems.push(`line ${i + 1} (${e.path}): ${seq.length} labels = ${labelSec.toFixed(3)} s at ${check.labelRate} Hz, audio is ${audioSec.toFixed(3)} s (${Math.round(audioSec * check.labelRate)} labels expected)`);
    }
    if (where.numClusters !== undefined) {
      for (let j = 0; j < seq.length; j++) {
        if (seq[j] >= where.numClusters) {
          problems.push(`line ${i + 1}: cluster id ${seq[j]} is outside the dictionary (${where.numClusters} ids)`);
          break;
        }
      }
    }
  });
  const observedRate = seconds > 0 ? frames / seconds : 0;
  const rateOff = seconds > 0 && Math.abs(observedRate / check.labelRate - 1) > 0.2;
  if (problems.length > 0 || rateOff) {
    const head = rateOff
      ? `labels run at about ${observedRate.toFixed(1)} frames per second of audio but the label rate is ${check.labelRate} Hz (label rate 100 vs 50 is the classic mismatch: MFCC labels are 100 Hz, HuBERT-layer labels 50 Hz; check also the sample rate, ${check.sampleRate} Hz)`
      : `${problems.length} problem(s)`;
    const shown = problems.slice(0, 10).join('; ');
    const more = problems.length > 10 ? `; and ${problems.length - 10} more` : '';
    throw new InputError(`${head}${problems.length ? ': ' + shown + more : ''}`, { file: where.file });
  }
  return { utterances: labels.length, frames, observedRate };
}

/** Reads `kmFile` (and `dictFile` when given) and validates it against the manifest: the Trainer's check. */
export function validateKmFile(kmFile: string, manifest: Manifest, check: LabelRateCheck, dictFile?: string): KmCheckReport {
  const numClusters = dictFile ? readKmDictionary(dictFile) : undefined;
  return validateKmLabels(readKmFile(kmFile), manifest, check, { file: kmFile, numClusters });
}
