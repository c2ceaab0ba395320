import { basename } from 'node:path';
import { InputError, errorMessage } from '../util/errors.ts';
import type { Manifest } from '../data/manifest.ts';
import { readUtterance, type FeatureSet, type FeatureUtterance } from './feature-set.ts';
import { createDistanceKernel } from './distance-kernel.ts';
import { assignNearest } from './assign-nearest.ts';

/**
 * The utterances of `set` in manifest order. Shards and matrices are in manifest order by construction
 * (fairseq's dump scripts write them so), so only the count is checked; a per-utterance folder is matched
 * by relative path without extension.
 */
export function orderByManifest(set: FeatureSet, manifest: Manifest, manifestFile: string): FeatureUtterance[] {
  if (set.kind !== 'folder') {
    if (set.utterances.length !== manifest.entries.length) {
      throw new InputError(`the features hold ${set.utterances.length} utterances (${set.files.map((f) => basename(f)).join(', ')}) but the manifest has ${manifest.entries.length} lines`, { file: manifestFile });
    }
    return set.utterances;
  }
  const byId = new Map(set.utterances.map((u) => [u.id, u]));
  const missing: string[] = [];
  const out = manifest.entries.map((e) => {
    const id = e.path.replace(/\.[^./]+$/, '');
    const u = byId.get(id);
    if (!u) missing.push(e.path);
    return u;
  });
  if (missing.length) {
    throw new InputError(`${missing.length} manifest line(s) have no feature file (${id0(missing)})`, { file: manifestFile });
  }
  return out as FeatureUtterance[];
}

function id0(list: string[]): string {
  return list.slice(0, 5).join(', ') + (list.length > 5 ? `, and ${list.length - 5} more` : '');
}

/**
 * Nearest-centroid ids for every frame of every utterance, read one utterance at a time. Unreadable
 * utterances do not stop the run: all of them are reported together at the end.
 */
export function labelUtterances(set: FeatureSet, utterances: FeatureUtterance[], centroids: Float32Array, k: number): Int32Array[] {
  if (centroids.length !== k * set.dims) throw new InputError(`centroids are ${centroids.length / k} wide but the features have ${set.dims} dims`);
  const kernel = createDistanceKernel(set.dims);
  const failures: string[] = [];
  const labels = utterances.map((u) => {
    try {
      const x = readUtterance(set, u);
      if (x.length !== u.frames * set.dims) throw new Error(`expected ${u.frames} x ${set.dims} values, read ${x.length}`);
      for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) throw new Error(`non-finite value at frame ${Math.floor(i / set.dims)}`);
      const out = new Int32Array(u.frames);
      assignNearest(kernel, x, u.frames, centroids, k, { labels: out });
      return out;
    } catch (e) {
      failures.push(`${u.file}${set.kind === 'folder' ? '' : ` utterance ${u.id}`}: ${errorMessage(e)}`);
      return new Int32Array(0);
    }
  });
  if (failures.length) throw new InputError(`${failures.length} utterance(s) could not be labelled: ${failures.slice(0, 10).join('; ')}${failures.length > 10 ? '; ...' : ''}`);
  return labels;
}
