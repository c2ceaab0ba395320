import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError } from '../util/errors.ts';

/**
 * Which hidden layers the columns of a feature set hold, for `speech-ssl eval probe --layers`: features
 * extracted with `--layer all` hold L hidden states of D dims side by side, and their features.json says
 * which (`layers: [ids]`, `layerDim: D`). `--layer-dim D` names the block width for features without one
 * (then the layers are numbered 0..L-1).
 */
export interface LayerBlocks {
  /** Hidden-state number of each block. */
  ids: number[];
  dim: number;
  /** Blocks to probe one at a time (indices into `ids`). */
  sweep: number[];
  /** Whether to add the weighted sum over every block (`--layers all`). */
  weightedSum: boolean;
}

function featuresJson(path: string): string | null {
  const dir = existsSync(path) && statSync(path).isDirectory() ? path : dirname(path);
  const f = join(dir, 'features.json');
  return existsSync(f) ? f : null;
}

/** `spec`: `all` (every layer alone, then the weighted sum of all) or a comma list of hidden-state numbers. */
export function resolveLayerBlocks(spec: string, featuresPath: string, totalDims: number, layerDim?: number): LayerBlocks {
  let ids: number[] | null = null;
  let dim = layerDim;
  const file = featuresJson(featuresPath);
  if (dim === undefined && file) {
    let cfg: { layers?: unknown; layerDim?: unknown };
    try {
      cfg = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new InputError(`not valid JSON: ${(e as Error).message}`, { file });
    }
    if (Array.isArray(cfg.layers) && typeof cfg.layerDim === 'number') {
      ids = cfg.layers.map(Number);
      dim = cfg.layerDim;
    }
  }
  if (dim === undefined) throw new InputError(`--layers needs features with several layers side by side (speech-ssl extract --layer all writes them, with layers and layerDim in features.json${file ? `; ${file} has neither` : ''}), or --layer-dim D`, { file: featuresPath });
  if (!(Number.isInteger(dim) && dim > 0 && totalDims % dim === 0)) throw new InputError(`${totalDims} values per frame do not split into layers of ${dim}`, { field: '--layer-dim' });
  const count = totalDims / dim;
  ids ??= Array.from({ length: count }, (_, i) => i);
  if (ids.length !== count) throw new InputError(`features.json lists ${ids.length} layers of ${dim}, but the features have ${totalDims} values per frame`, { file: file ?? featuresPath });
  if (spec === 'all') return { ids, dim, sweep: ids.map((_, i) => i), weightedSum: true };
  const sweep = spec.split(',').map((s) => {
    const n = Number(s.trim());
    const at = ids!.indexOf(n);
    if (!/^\d+$/.test(s.trim()) || at < 0) throw new InputError(`expected all or hidden-state numbers among ${ids!.join(',')}, got "${s}"`, { field: '--layers' });
    return at;
  });
  return { ids, dim, sweep, weightedSum: false };
}
