import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../util/errors.ts';
import { writeFileAtomic } from '../../util/atomic.ts';
import { writeManifest, type ManifestEntry } from '../manifest.ts';
import { corpusRoot, listFolder, probeRecording, type CorpusProblem, type PreparedCorpus } from './prepared-corpus.ts';

/**
 * LibriSpeech (openslr 12): `<split>/<speaker>/<chapter>/<speaker>-<chapter>-<utt>.flac` with one
 * `<speaker>-<chapter>.trans.txt` per chapter ("ID WORDS ..." a line). Splits named `train-*` go to
 * `train.tsv`, the others (dev-*, test-*) to `valid.tsv`; each manifest gets the transcripts as fairseq's
 * `libri_labels.py` writes them: `.wrd` (the words) and `.ltr` (letters, "|" between words), a line per
 * manifest line. Paths are relative to the corpus root, so both manifests share it.
 *
 * Left out and reported: unreadable or non-16 kHz recordings, recordings without a transcript line,
 * and transcript lines without a recording.
 */
export interface LibriSpeechOptions {
  root: string;
  splits: string[];
  outDir: string;
}

interface Utterance {
  entry: ManifestEntry;
  words: string;
}

export function prepareLibriSpeech(o: LibriSpeechOptions): PreparedCorpus {
  const root = corpusRoot(o.root, 'LibriSpeech');
  if (o.splits.length === 0) throw new InputError('give at least one split (e.g. train-clean-100,dev-clean)', { field: '--splits' });
  for (const s of o.splits) {
    if (!/^[A-Za-z0-9._-]+$/.test(s)) throw new InputError(`"${s}" is not a split folder name`, { field: '--splits' });
    const dir = join(root, s);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError(`no split folder "${s}" under ${root}`, { field: '--splits' });
  }
  const trainSplits = o.splits.filter((s) => s.startsWith('train'));
  const validSplits = o.splits.filter((s) => !s.startsWith('train'));
  if (trainSplits.length === 0) throw new InputError(`no training split among ${o.splits.join(', ')} (their names start with "train")`, { field: '--splits' });
  const problems: CorpusProblem[] = [];
  const result: PreparedCorpus = { written: [], problems };
  const groups: [string, string[]][] = [['train', trainSplits], ['valid', validSplits]];
  for (const [name, splits] of groups) {
    if (splits.length === 0) continue;
    const utts = splits.flatMap((s) => scanSplit(root, s, problems));
    writeManifest(join(o.outDir, `${name}.tsv`), { root, entries: utts.map((u) => u.entry) });
    writeFileAtomic(join(o.outDir, `${name}.wrd`), utts.map((u) => `${u.words}\n`).join(''));
    writeFileAtomic(join(o.outDir, `${name}.ltr`), utts.map((u) => `${letters(u.words)}\n`).join(''));
    result.written.push({ file: join(o.outDir, `${name}.tsv`), lines: utts.length });
  }
  return result;
}

/** fairseq's letter targets: "HELLO WORLD" -> "H E L L O | W O R L D |". */
export function letters(words: string): string {
  return words.split(/\s+/).filter(Boolean).map((w) => [...w].join(' ') + ' |').join(' ');
}

/** "ID WORDS..." lines of a chapter's .trans.txt; problems for lines that do not parse. */
export function parseTranscripts(text: string, file: string, problems: CorpusProblem[]): Map<string, string> {
  const out = new Map<string, string>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const m = /^(\S+)\s+(.*)$/.exec(line);
    if (!m) problems.push({ path: file, message: `line ${i + 1}: expected "ID WORDS...", got "${line.slice(0, 60)}"` });
    else out.set(m[1], m[2].trim().replace(/\s+/g, ' '));
  });
  return out;
}

function scanSplit(root: string, split: string, problems: CorpusProblem[]): Utterance[] {
  const out: Utterance[] = [];
  for (const speaker of listFolder(join(root, split)).dirs) {
    for (const chapter of listFolder(join(root, split, speaker)).dirs) {
      const dir = join(root, split, speaker, chapter);
      const { files } = listFolder(dir);
      const transFile = join(dir, `${speaker}-${chapter}.trans.txt`);
      const trans = files.includes(`${speaker}-${chapter}.trans.txt`) ? parseTranscripts(readFileSync(transFile, 'utf8'), transFile, problems) : new Map<string, string>();
      const seen = new Set<string>();
      for (const f of files.filter((x) => x.toLowerCase().endsWith('.flac'))) {
        const path = join(dir, f);
        const id = f.slice(0, -'.flac'.length);
        seen.add(id);
        const words = trans.get(id);
        if (words === undefined) {
          problems.push({ path, message: `no transcript line "${id} ..." in ${transFile}` });
          continue;
        }
        const n = probeRecording(path, problems);
        if (n !== null) out.push({ entry: { path: `${split}/${speaker}/${chapter}/${f}`, numSamples: n }, words });
      }
      for (const id of trans.keys()) if (!seen.has(id)) problems.push({ path: transFile, message: `transcript of ${id} but no ${id}.flac beside it` });
    }
  }
  return out;
}
