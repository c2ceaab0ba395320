/** The audio files of a folder, as `extract` and `manifest` list them. */
import { readdirSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { InputError } from '../util/errors.ts';
import { AUDIO_EXTENSIONS } from '../audio/decode.ts';

/** Recursively lists audio files under `root` (dot-files and dot-folders skipped), sorted. */
export function scanAudioFolder(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      throw new InputError(`cannot list folder: ${(e as Error).message}`, { file: dir });
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (AUDIO_EXTENSIONS.includes(extname(e.name).toLowerCase())) out.push(relative(root, p).split(sep).join('/'));
    }
  };
  walk(root);
  return out.sort(byCodeUnits);
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
