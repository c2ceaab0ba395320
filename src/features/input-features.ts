/**
 * The input features of a feature-taking encoder, computed exactly as for its training data: the
 * featurizer a features.json (written by `speech-ssl extract`) describes, rebuilt through the same
 * `createFeaturizer`, checked against the dimension the encoder takes.
 */
import { InputError } from '../util/errors.ts';
import type { JsonValue } from '../util/fields.ts';
import { createFeaturizer, type Featurizer } from './featurizer.ts';
import type { OptionValues } from './feature-options.ts';

/** `--layer`: `last` or a hidden-state index 0..max (max undefined: any). */
export function parseLayer(spec: string, max?: number): 'last' | number {
  if (spec === 'last') return 'last';
  const n = Number(spec);
  if (!/^\d+$/.test(spec.trim()) || (max !== undefined && n > max)) {
    throw new InputError(`expected last or a hidden-state number${max !== undefined ? ` 0..${max}` : ''}, got "${spec}"`, { field: '--layer' });
  }
  return n;
}

export async function featurizerFromConfig(config: Record<string, JsonValue>, file: string, expectDims: number): Promise<Featurizer> {
  const spec = config.features;
  if (typeof spec !== 'string') throw new InputError('expected "features" (the feature kind) in the feature configuration', { file });
  const values: OptionValues = {};
  for (const [k, v] of Object.entries(config)) if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') values[k] = v;
  let f: Featurizer;
  try {
    f = await createFeaturizer(spec, values);
  } catch (e) {
    if (e instanceof InputError) throw new InputError(e.message, { file });
    throw e;
  }
  if (f.dims !== expectDims) {
    await f.dispose?.();
    throw new InputError(`gives ${f.dims} values per frame, the encoder takes ${expectDims}`, { file });
  }
  return f;
}
