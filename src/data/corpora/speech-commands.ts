import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../util/errors.ts';
import { writeFileAtomic } from '../../util/atomic.ts';
import { Rng } from '../../util/rng.ts';
import { writeManifest, type ManifestEntry } from '../manifest.ts';
import { byCodeUnits, corpusRoot, listFolder, probeRecording, type CorpusProblem, type PreparedCorpus } from './prepared-corpus.ts';

/**
 * Speech Commands v2 (Warden 2018): one folder per word of 1 s clips `<word>/<speaker>_nohash_<n>.wav`;
 * `validation_list.txt` and `testing_list.txt` name the validation and test clips, the training set is
 * every other clip; `_background_noise_` holds long noise recordings and is not a word.
 *
 * Writes `train.tsv`, `valid.tsv`, `test.tsv` (paths relative to the corpus root) and, for the keyword
 * probe, `probe.tsv` (its training clips, then every test clip, in path order) with `probe_train.lst`
 * and `probe_test.lst` naming them. `probePerWord` > 0 keeps that many training clips per word (a
 * seeded draw) so the probe's features stay small; 0 keeps all.
 */
export interface SpeechCommandsOptions {
  root: string;
  outDir: string;
  probePerWord: number;
  seed: number;
}

const BACKGROUND = '_background_noise_';

function readList(root: string, name: string): string[] {
  const file = join(root, name);
  if (!existsSync(file)) throw new InputError(`missing ${name}: the v2 release defines its validation and test splits with it`, { file });
  return readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '');
}

export function prepareSpeechCommands(o: SpeechCommandsOptions): PreparedCorpus {
  const root = corpusRoot(o.root, 'Speech Commands');
  if (!(Number.isInteger(o.probePerWord) && o.probePerWord >= 0)) throw new InputError(`expected an integer >= 0, got ${o.probePerWord}`, { field: '--probe-per-word' });
  const validList = readList(root, 'validation_list.txt');
  const testList = readList(root, 'testing_list.txt');
  const problems: CorpusProblem[] = [];
  const clips = new Map<string, ManifestEntry>();
  const words = listFolder(root).dirs.filter((d) => d !== BACKGROUND && !d.startsWith('.'));
  if (words.length === 0) throw new InputError('no word folders (expected <word>/<speaker>_nohash_<n>.wav)', { file: root });
  for (const word of words) {
    for (const f of listFolder(join(root, word)).files.filter((x) => x.toLowerCase().endsWith('.wav'))) {
      const rel = `${word}/${f}`;
      const n = probeRecording(join(root, rel), problems);
      if (n !== null) clips.set(rel, { path: rel, numSamples: n });
    }
  }
  const take = (list: string[], listName: string): ManifestEntry[] => {
    const out: ManifestEntry[] = [];
    for (const rel of new Set(list)) {
      const e = clips.get(rel);
      if (e) out.push(e);
      else if (!problems.some((p) => p.path === join(root, rel))) problems.push({ path: join(root, listName), message: `lists ${rel}, which is not in the corpus` });
    }
    return out.sort((a, b) => byCodeUnits(a.path, b.path));
  };
  const valid = take(validList, 'validation_list.txt');
  const test = take(testList, 'testing_list.txt');
  const held = new Set([...validList, ...testList]);
  const train = [...clips.values()].filter((e) => !held.has(e.path)).sort((a, b) => byCodeUnits(a.path, b.path));
  const probeTrain = o.probePerWord > 0 ? samplePerWord(train, o.probePerWord, new Rng(o.seed)) : train;
  const probe = [...probeTrain, ...test].sort((a, b) => byCodeUnits(a.path, b.path));
  const written: PreparedCorpus['written'] = [];
  const manifest = (name: string, entries: ManifestEntry[]) => {
    writeManifest(join(o.outDir, name), { root, entries });
    written.push({ file: join(o.outDir, name), lines: entries.length });
  };
  manifest('train.tsv', train);
  manifest('valid.tsv', valid);
  manifest('test.tsv', test);
  manifest('probe.tsv', probe);
  writeFileAtomic(join(o.outDir, 'probe_train.lst'), probeTrain.map((e) => `${e.path}\n`).join(''));
  writeFileAtomic(join(o.outDir, 'probe_test.lst'), test.map((e) => `${e.path}\n`).join(''));
  return { written, problems };
}

/** Up to `perWord` clips of each word, drawn without replacement, returned in path order. */
export function samplePerWord(entries: ManifestEntry[], perWord: number, rng: Rng): ManifestEntry[] {
  const byWord = new Map<string, ManifestEntry[]>();
  for (const e of entries) {
    const w = e.path.split('/')[0];
    if (!byWord.has(w)) byWord.set(w, []);
    byWord.get(w)!.push(e);
  }
  const out: ManifestEntry[] = [];
  for (const w of [...byWord.keys()].sort(byCodeUnits)) {
    const list = byWord.get(w)!;
    for (let i = list.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [list[i], list[j]] = [list[j], list[i]];
    }
    out.push(...list.slice(0, perWord));
  }
  return out.sort((a, b) => byCodeUnits(a.path, b.path));
}
