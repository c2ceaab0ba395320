import { readdirSync, realpathSync, statSync } from 'node:fs';
import { InputError, errorMessage } from '../../util/errors.ts';
import { probeAudio } from '../../audio/decode.ts';

/**
 * What corpus preparation hands back: the files it wrote, with their utterance counts, and every
 * recording or list entry it left out, with why. Preparation never stops on one bad file: the caller
 * prints the problems and goes on with the rest.
 */
export interface CorpusProblem {
  path: string;
  message: string;
}

export interface PreparedCorpus {
  written: { file: string; lines: number }[];
  problems: CorpusProblem[];
}

/** The rate every recipe trains at; recordings at another rate are reported. */
export const CORPUS_SAMPLE_RATE = 16000;

/** Sample count of a recording from its header, or the problem with it (unreadable, another rate). */
export function probeRecording(path: string, problems: CorpusProblem[]): number | null {
  try {
    const info = probeAudio(path);
    if (info.sampleRate !== CORPUS_SAMPLE_RATE) {
      problems.push({ path, message: `sample rate ${info.sampleRate} Hz, the recipes expect ${CORPUS_SAMPLE_RATE} Hz` });
      return null;
    }
    if (info.numFrames === 0) {
      problems.push({ path, message: 'no samples' });
      return null;
    }
    return info.numFrames;
  } catch (e) {
    problems.push({ path, message: errorMessage(e).replace(`${path}: `, '') });
    return null;
  }
}

/** The corpus root's real path (as fairseq writes manifest roots); a clear error when it is not a folder. */
export function corpusRoot(root: string, corpus: string): string {
  let real: string;
  try {
    real = realpathSync(root);
  } catch (e) {
    throw new InputError(`cannot read the ${corpus} folder: ${errorMessage(e)}`, { file: root });
  }
  if (!statSync(real).isDirectory()) throw new InputError(`expected the ${corpus} folder, got a file`, { file: root });
  return real;
}

/** Entries of a folder, sorted by name (code units, as the manifests are), split into folders and files. */
export function listFolder(dir: string): { dirs: string[]; files: string[] } {
  const entries = readdirSync(dir, { withFileTypes: true });
  const sort = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return {
    dirs: entries.filter((e) => e.isDirectory()).map((e) => e.name).sort(sort),
    files: entries.filter((e) => e.isFile()).map((e) => e.name).sort(sort),
  };
}

/** Name order used for every manifest this module writes. */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
