import { closeSync, copyFileSync, mkdirSync, openSync, readFileSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError, errorMessage } from '../../util/errors.ts';
import { writeFileAtomic } from '../../util/atomic.ts';
import { writeManifest, type ManifestEntry } from '../manifest.ts';
import { corpusRoot, listFolder, probeRecording, type CorpusProblem, type PreparedCorpus } from './prepared-corpus.ts';
import { isSphere, sphereToWav } from './sphere.ts';
import { readPhn } from './phone-frames.ts';

/**
 * TIMIT (LDC93S1): `TRAIN|TEST/<dialect>/<speaker>/<sentence>.WAV` with a `.PHN` alignment beside each
 * (any letter case: some copies are lower-case). The SA1/SA2 sentences, read by every speaker, are left
 * out unless `withSa`, as phone recognition on TIMIT does.
 *
 * The LDC's .WAV files are NIST SPHERE, which the decoder does not read: when any recording is SPHERE,
 * every recording is written as RIFF WAV under `<outDir>/wav/` (same samples) and the manifests point
 * there; otherwise they point into the corpus. Writes `train.tsv`, `test.tsv` and `train.phn`,
 * `test.phn`: the .PHN path of each manifest line, one a line, for `phone-frames`.
 *
 * Left out and reported: recordings without a .PHN, with an unreadable .PHN, or unreadable / not 16 kHz.
 */
export interface TimitOptions {
  root: string;
  outDir: string;
  withSa: boolean;
}

interface Sentence {
  split: string;
  rel: string;
  wav: string;
  phn: string;
}

export function prepareTimit(o: TimitOptions): PreparedCorpus {
  const root = corpusRoot(o.root, 'TIMIT');
  const top = listFolder(root).dirs;
  const problems: CorpusProblem[] = [];
  const bySplit = new Map<string, Sentence[]>();
  for (const split of ['train', 'test']) {
    const dir = top.find((d) => d.toLowerCase() === split);
    if (!dir) throw new InputError(`no ${split.toUpperCase()} folder (expected TRAIN/ and TEST/ with <dialect>/<speaker>/*.WAV)`, { file: root });
    bySplit.set(split, scanSplit(root, dir, split, o.withSa, problems));
  }
  const all = [...bySplit.values()].flat();
  const convert = all.some((s) => isSphere(readHead(s.wav)));
  const audioRoot = convert ? join(o.outDir, 'wav') : root;
  const written: PreparedCorpus['written'] = [];
  for (const [split, sentences] of bySplit) {
    const entries: ManifestEntry[] = [];
    const phns: string[] = [];
    for (const s of sentences) {
      let path = s.wav;
      if (convert) {
        path = join(audioRoot, s.rel);
        try {
          mkdirSync(dirname(path), { recursive: true });
          const bytes = readFileSync(s.wav);
          if (isSphere(bytes)) writeFileAtomic(path, sphereToWav(bytes, s.wav));
          else copyFileSync(s.wav, path);
        } catch (e) {
          problems.push({ path: s.wav, message: errorMessage(e).replace(`${s.wav}: `, '') });
          continue;
        }
      }
      const n = probeRecording(path, problems);
      if (n === null) continue;
      entries.push({ path: convert ? s.rel : s.wav.slice(root.length + 1), numSamples: n });
      phns.push(s.phn);
    }
    writeManifest(join(o.outDir, `${split}.tsv`), { root: audioRoot, entries });
    writeFileAtomic(join(o.outDir, `${split}.phn`), phns.map((p) => `${p}\n`).join(''));
    written.push({ file: join(o.outDir, `${split}.tsv`), lines: entries.length });
  }
  return { written, problems };
}

/** The first 16 bytes (enough to tell SPHERE from RIFF); empty when unreadable (reported later). */
function readHead(file: string): Uint8Array {
  const head = new Uint8Array(16);
  try {
    const fd = openSync(file, 'r');
    try {
      return head.subarray(0, readSync(fd, head, 0, 16, 0));
    } finally {
      closeSync(fd);
    }
  } catch {
    return new Uint8Array(0);
  }
}

function scanSplit(root: string, splitDir: string, split: string, withSa: boolean, problems: CorpusProblem[]): Sentence[] {
  const out: Sentence[] = [];
  for (const dialect of listFolder(join(root, splitDir)).dirs) {
    for (const speaker of listFolder(join(root, splitDir, dialect)).dirs) {
      const dir = join(root, splitDir, dialect, speaker);
      const { files } = listFolder(dir);
      // Some copies keep a RIFF conversion beside each SPHERE file (SA1.WAV.wav): the .WAV is the one read.
      for (const f of files.filter((x) => x.toLowerCase().endsWith('.wav') && !x.toLowerCase().endsWith('.wav.wav'))) {
        const stem = f.slice(0, -4);
        if (!withSa && /^sa\d$/i.test(stem)) continue;
        const wav = join(dir, f);
        const phnName = files.find((x) => x.toLowerCase() === `${stem.toLowerCase()}.phn`);
        if (!phnName) {
          problems.push({ path: wav, message: `no ${stem}.PHN alignment beside it` });
          continue;
        }
        const phn = join(dir, phnName);
        try {
          readPhn(phn);
        } catch (e) {
          problems.push({ path: wav, message: `its alignment is unusable: ${errorMessage(e)}` });
          continue;
        }
        out.push({ split, rel: `${split}/${dialect}/${speaker}/${stem}.wav`.toLowerCase(), wav, phn });
      }
    }
  }
  return out;
}
