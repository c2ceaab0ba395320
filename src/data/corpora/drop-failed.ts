import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../util/errors.ts';
import { writeFileAtomic } from '../../util/atomic.ts';
import { entryPath, readManifest, writeManifest } from '../manifest.ts';

/**
 * `speech-ssl extract --concat` leaves files it cannot decode out of the shards (and lists them in
 * failures*.tsv), so the shards no longer line up with the manifest. This drops those files from the
 * manifest, the same lines from files kept parallel to it (transcripts, alignment lists), and the
 * lines naming them (their manifest path) from name lists such as a probe's train/test lists, so that
 * labels, training and evaluation see the same utterances as the features.
 */
export function readFailurePaths(where: string[]): Set<string> {
  const paths = new Set<string>();
  for (const w of where) {
    if (!existsSync(w)) continue;
    const files = statSync(w).isDirectory() ? readdirSync(w).filter((f) => /^failures(_\d+_\d+)?\.tsv$/.test(f)).map((f) => join(w, f)) : [w];
    for (const f of files) {
      const lines = readFileSync(f, 'utf8').split('\n');
      lines.slice(1).forEach((l) => {
        const path = l.split('\t')[0];
        if (path) paths.add(path);
      });
    }
  }
  return paths;
}

export interface DropResult {
  kept: number;
  dropped: string[];
}

export function dropFailed(manifestFile: string, failed: Set<string>, parallel: string[] = [], nameLists: string[] = [], out = manifestFile): DropResult {
  const m = readManifest(manifestFile);
  const keep = m.entries.map((e) => !failed.has(entryPath(m, e)));
  const texts = parallel.map((file) => {
    const lines = readFileSync(file, 'utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    if (lines.length !== m.entries.length) throw new InputError(`has ${lines.length} lines but ${manifestFile} has ${m.entries.length} entries (expected one line per entry)`, { file });
    return lines;
  });
  const dropped = m.entries.filter((_, i) => !keep[i]).map((e) => entryPath(m, e));
  if (dropped.length === 0 && out === manifestFile) return { kept: m.entries.length, dropped };
  parallel.forEach((file, k) => writeFileAtomic(file, texts[k].filter((_, i) => keep[i]).map((l) => `${l}\n`).join('')));
  const droppedNames = new Set(m.entries.filter((_, i) => !keep[i]).map((e) => e.path));
  for (const file of nameLists) {
    const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
    writeFileAtomic(file, lines.filter((l) => !droppedNames.has(l.trim())).map((l) => `${l}\n`).join(''));
  }
  writeManifest(out, { root: m.root, entries: m.entries.filter((_, i) => keep[i]) });
  return { kept: m.entries.length - dropped.length, dropped };
}
