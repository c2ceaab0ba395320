/**
 * Declarative feature options: each featurizer kind lists the flags it reads (kebab case, named as Kaldi
 * or torchaudio name them), their types and defaults, so the CLI parses, validates and documents them
 * generically and a new kind brings its own flags without touching the command.
 */
import type { Args } from '../util/args.ts';
import { kebabCase } from '../util/args.ts';

export type OptionValue = number | string | boolean;
export type OptionValues = Record<string, OptionValue>;

export interface OptionSpec {
  /** Command-line flag without dashes, e.g. `num-mel-bins`. */
  flag: string;
  /** Key in the options object, e.g. `numMelBins`. */
  key: string;
  type: 'int' | 'number' | 'bool' | 'choice' | 'string';
  choices?: readonly string[];
  default: OptionValue;
  help: string;
}

/**
 * Specs for every key of a defaults object: the type from the default's type (choices where given), the
 * flag from the key in kebab case unless renamed.
 */
export function specsFromDefaults(defaults: object, help: Record<string, string>, extra: { choices?: Record<string, readonly string[]>; flags?: Record<string, string>; ints?: readonly string[] } = {}): OptionSpec[] {
  return Object.entries(defaults).map(([key, def]) => {
    const value = def as OptionValue;
    const choices = extra.choices?.[key];
    const type: OptionSpec['type'] = choices ? 'choice' : typeof value === 'boolean' ? 'bool' : typeof value === 'number' ? (extra.ints?.includes(key) ? 'int' : 'number') : 'string';
    return { flag: extra.flags?.[key] ?? kebabCase(key), key, type, choices, default: value, help: help[key] ?? '' };
  });
}

/** Reads the flags of `specs` that are present on the command line (absent ones keep their defaults). */
export function readOptions(args: Args, specs: readonly OptionSpec[]): OptionValues {
  const out: OptionValues = {};
  for (const s of specs) {
    if (!args.has(s.flag)) continue;
    switch (s.type) {
      case 'int':
        out[s.key] = args.int(s.flag)!;
        break;
      case 'number':
        out[s.key] = args.number(s.flag)!;
        break;
      case 'bool':
        out[s.key] = args.bool(s.flag);
        break;
      case 'choice':
        out[s.key] = args.choice(s.flag, s.choices!, String(s.default));
        break;
      case 'string':
        out[s.key] = args.string(s.flag)!;
        break;
    }
  }
  return out;
}

/** Keeps the values whose keys appear in `defaults`, over the defaults. */
export function resolveOptions<T extends object>(defaults: T, values: OptionValues): T {
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const k of Object.keys(defaults)) if (k in values) out[k] = values[k];
  return out as T;
}

/** Usage lines: `  --flag VALUE   help (default X)`. */
export function optionsUsage(specs: readonly OptionSpec[]): string {
  return specs
    .map((s) => {
      const arg = s.type === 'bool' ? `--${s.flag}[=true|false]` : s.type === 'choice' ? `--${s.flag} ${s.choices!.join('|')}` : `--${s.flag} ${s.type === 'string' ? 'S' : 'N'}`;
      return `  ${arg.padEnd(40)} ${s.help} (default ${JSON.stringify(s.default)})`;
    })
    .join('\n');
}
