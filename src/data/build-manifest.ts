/**
 * fairseq manifests for a folder of recordings, as examples/wav2vec/wav2vec_manifest.py makes them: the
 * root's absolute path, then `relative/path<TAB>num_samples` per file; with a validation fraction P each
 * file goes to the validation manifest when a seeded uniform draw is <= P. Sample counts come from the
 * headers (no decoding). Files are visited in sorted order so the split depends only on the seed. The root
 * is written as its real path (links resolved), as fairseq does.
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { errorMessage } from '../util/errors.ts';
import { writeManifest, type ManifestEntry } from './manifest.ts';
import { probeAudio } from '../audio/decode.ts';
import { scanAudioFolder } from './audio-files.ts';

export interface ManifestBuildOptions {
  root: string;
  trainOut: string;
  /** null: no validation manifest. */
  validOut: string | null;
  /** Fraction in [0, 1]. */
  validPercent: number;
  seed: number;
}

export interface ManifestBuildResult {
  train: number;
  valid: number;
  failures: { path: string; message: string }[];
}

export function buildManifests(o: ManifestBuildOptions): ManifestBuildResult {
  let root: string;
  try {
    root = realpathSync(o.root); // fairseq writes os.path.realpath(root)
  } catch (e) {
    throw new InputError(`cannot read folder: ${errorMessage(e)}`, { file: o.root });
  }
  const rels = scanAudioFolder(root);
  const rng = new Rng(o.seed);
  const train: ManifestEntry[] = [];
  const valid: ManifestEntry[] = [];
  const failures: ManifestBuildResult['failures'] = [];
  for (const rel of rels) {
    const path = resolve(root, rel);
    let numSamples: number;
    try {
      numSamples = probeAudio(path).numFrames;
    } catch (e) {
      failures.push({ path, message: errorMessage(e).replace(`${path}: `, '') });
      continue;
    }
    const entry = { path: rel, numSamples };
    if (o.validOut && rng.next() <= o.validPercent && o.validPercent > 0) valid.push(entry);
    else train.push(entry);
  }
  writeManifest(o.trainOut, { root, entries: train });
  if (o.validOut) writeManifest(o.validOut, { root, entries: valid });
  return { train: train.length, valid: valid.length, failures };
}
