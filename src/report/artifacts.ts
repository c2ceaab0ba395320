import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.ts';
import { writeNpy } from '../util/npy.ts';
import { InputError } from '../util/errors.ts';
import { readUtterance } from '../cluster/feature-set.ts';
import { readKmFile } from '../cluster/km-labels.ts';
import { openEvalCorpus, type EvalCorpusOptions } from '../eval/eval-corpus.ts';
import { fieldOf, meanPool, type FieldSpec } from '../eval/utterance-fields.ts';

/**
 * Gathers what `writeRunReport` plots besides the metrics, into `<run>/report/`:
 * - `embeddings.npy` + `embeddings.json`: mean-pooled features of up to `maxEmbeddings` utterances and the
 *   label of each (a field of its name), for the PCA plot;
 * - `clusters.json`: frames per cluster id over a `.km` file;
 * - `example.npy` + `example.json`: one utterance's log-mel frames and its cluster ids from the `.km` file.
 * Each input is optional; the function writes what it was given and says what it wrote.
 */
export interface ArtifactSources {
  /** Learned (or any) frame features to pool, and how to name their utterances. */
  embeddings?: { path: string; corpus: EvalCorpusOptions; label: FieldSpec; maxUtterances?: number };
  /** A `.km` file (one line per utterance) and the number of clusters (ids beyond the largest seen count as unused). */
  km?: { file: string; numClusters?: number };
  /** Log-mel features (same utterance order as the `.km` file) for the example plot; utterance `index` (default 0). */
  example?: { path: string; corpus: EvalCorpusOptions; index?: number };
}

export function collectReportArtifacts(runDir: string, src: ArtifactSources): string[] {
  const dir = join(runDir, 'report');
  mkdirSync(dir, { recursive: true });
  const wrote: string[] = [];

  if (src.embeddings) {
    const e = src.embeddings;
    const corpus = openEvalCorpus(e.path, e.corpus);
    const n = Math.min(corpus.utterances.length, e.maxUtterances ?? 2000);
    if (n === 0) throw new InputError('no utterances to embed', { file: e.path });
    const d = corpus.set.dims;
    const pooled = new Float32Array(n * d);
    const labels: string[] = [];
    for (let i = 0; i < n; i++) {
      pooled.set(meanPool(readUtterance(corpus.set, corpus.utterances[i]), d), i * d);
      labels.push(fieldOf(corpus.names[i], e.label));
    }
    writeNpy(join(dir, 'embeddings.npy'), pooled, [n, d]);
    writeFileAtomic(join(dir, 'embeddings.json'), JSON.stringify({ labels, source: e.path }) + '\n');
    wrote.push(`embeddings of ${n} utterances (${d} dims)`);
  }

  let km: Int32Array[] | undefined;
  if (src.km) {
    km = readKmFile(src.km.file);
    let maxId = -1;
    for (const u of km) for (const id of u) if (id > maxId) maxId = id;
    const k = Math.max(src.km.numClusters ?? 0, maxId + 1);
    const counts = new Array<number>(k).fill(0);
    for (const u of km) for (const id of u) counts[id]++;
    writeFileAtomic(join(dir, 'clusters.json'), JSON.stringify({ counts, source: src.km.file }) + '\n');
    wrote.push(`cluster usage over ${km.length} utterances (${counts.filter((c) => c > 0).length}/${k} ids used)`);
  }

  if (src.example) {
    const x = src.example;
    const corpus = openEvalCorpus(x.path, x.corpus);
    const i = x.index ?? 0;
    const u = corpus.utterances[i];
    if (!u) throw new InputError(`no utterance ${i} (the features hold ${corpus.utterances.length})`, { file: x.path });
    const frames = readUtterance(corpus.set, u);
    writeNpy(join(dir, 'example.npy'), frames, [u.frames, corpus.set.dims]);
    const ids = km?.[i] ? Array.from(km[i].subarray(0, u.frames)) : undefined;
    writeFileAtomic(join(dir, 'example.json'), JSON.stringify({ name: corpus.names[i], ids }) + '\n');
    wrote.push(`example utterance ${corpus.names[i]} (${u.frames} frames${ids ? ', with cluster ids' : ''})`);
  }
  return wrote;
}
