import type { Fields } from '../util/fields.ts';
import type { Rng } from '../util/rng.ts';
import type { Encoder } from './encoder.ts';

/**
 * One kind of encoder: how its config is read and how it is built. Adding an encoder is one file that
 * exports a definition and one line in registry.ts, as adding a method is (src/methods/method.ts).
 */
export interface EncoderDefinition<C extends { kind: string }> {
  /**
   * Reads the config object (its `kind` already checked) with typed getters that take the defaults (or
   * the chosen preset's values); errors name the field. Unknown fields are rejected by the registry.
   * `seed` is the build's seed: image encoders keep their weight seed in the config.
   */
  readConfig(f: Fields, seed: number): C;
  /** The encoder with initial weights drawn from `rng`. */
  create(config: C, rng: Rng): Encoder;
}

/** `preset` chosen among `presets` (the first when absent). */
export function readPreset<P extends string, C>(f: Fields, presets: Readonly<Record<P, C>>): C {
  const names = Object.keys(presets) as P[];
  return presets[f.choice('preset', names, names[0])];
}

/** A dropout-like probability in [0, 1). */
export function readProbability(f: Fields, name: string, def: number): number {
  return f.number(name, def, { min: 0, below: 1 });
}

/** A non-empty list of integers >= `min`. */
export function readIntList(f: Fields, name: string, def: number[], min = 1): number[] {
  const v = f.numberList(name, def, { integer: true, min });
  if (v.length === 0) f.fail(name, `expected a non-empty list of integers >= ${min}`);
  return v;
}
