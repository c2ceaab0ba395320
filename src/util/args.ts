import { InputError } from './errors.ts';
import { nearestName } from './nearest-name.ts';

/**
 * Command-line arguments: positionals and `--kebab-case value` / `--flag` / `--no-flag` options.
 * Options are read through typed getters that validate and name the flag in their errors. An option
 * that is not a declared flag and is followed by nothing or by another `--option` has no value: reading
 * it as a value is an error naming it (`--out` alone never becomes the string "true").
 */
export class Args {
  readonly positionals: string[] = [];
  /** Values in order; null: the option was given without a value. */
  private readonly opts = new Map<string, (string | null)[]>();
  private readonly used = new Set<string>();
  private readonly booleans: string[];
  /** Names a command asked about with has() (known options, not necessarily read): for suggestions. */
  private readonly asked = new Set<string>();

  constructor(argv: string[], booleanFlags: string[] = []) {
    this.booleans = booleanFlags;
    const bools = new Set(booleanFlags);
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i];
      if (a === '--') {
        this.positionals.push(...argv.slice(i + 1));
        break;
      }
      if (a.startsWith('--')) {
        let key = a.slice(2);
        let value: string | null;
        const eq = key.indexOf('=');
        if (eq >= 0) {
          value = key.slice(eq + 1);
          key = key.slice(0, eq);
        } else if (bools.has(key)) {
          value = 'true';
        } else if (key.startsWith('no-') && bools.has(key.slice(3))) {
          key = key.slice(3);
          value = 'false';
        } else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) {
          value = argv[++i];
        } else {
          value = null;
        }
        const list = this.opts.get(key) ?? [];
        list.push(value);
        this.opts.set(key, list);
      } else {
        this.positionals.push(a);
      }
    }
  }

  has(name: string): boolean {
    this.asked.add(name);
    return this.opts.has(name);
  }

  string(name: string): string | undefined;
  string(name: string, def: string): string;
  string(name: string, def?: string): string | undefined {
    this.used.add(name);
    const v = this.opts.get(name);
    if (!v) return def;
    return this.present(name, v[v.length - 1]);
  }

  private present(name: string, v: string | null): string {
    if (v === null) throw new InputError('needs a value', { field: `--${name}` });
    return v;
  }

  /** All values of a repeatable option. */
  strings(name: string): string[] {
    this.used.add(name);
    return (this.opts.get(name) ?? []).map((v) => this.present(name, v));
  }

  number(name: string): number | undefined;
  number(name: string, def: number): number;
  number(name: string, def?: number): number | undefined {
    const s = this.string(name);
    if (s === undefined) return def;
    const n = Number(s);
    if (!Number.isFinite(n)) throw new InputError(`expected a number, got "${s}"`, { field: `--${name}` });
    return n;
  }

  int(name: string): number | undefined;
  int(name: string, def: number): number;
  int(name: string, def?: number): number | undefined {
    const n = def === undefined ? this.number(name) : this.number(name, def);
    if (n !== undefined && !Number.isInteger(n)) throw new InputError(`expected an integer, got ${n}`, { field: `--${name}` });
    return n;
  }

  /** An integer option that must be 1 or more (thread counts, sizes): `expected a positive integer, got 0`. */
  positiveInt(name: string): number | undefined;
  positiveInt(name: string, def: number): number;
  positiveInt(name: string, def?: number): number | undefined {
    const n = def === undefined ? this.int(name) : this.int(name, def);
    if (n !== undefined && n < 1) throw new InputError(`expected a positive integer, got ${n}`, { field: `--${name}` });
    return n;
  }

  bool(name: string, def = false): boolean {
    this.used.add(name);
    const v = this.opts.get(name);
    // A bare `--flag` (no value) means true.
    const s = v ? (v[v.length - 1] ?? 'true') : undefined;
    if (s === undefined) return def;
    if (s === 'true' || s === '1' || s === 'yes') return true;
    if (s === 'false' || s === '0' || s === 'no') return false;
    throw new InputError(`expected true or false, got "${s}"`, { field: `--${name}` });
  }

  choice<T extends string>(name: string, choices: readonly T[], def: T): T {
    const s = this.string(name, def);
    if (!choices.includes(s as T)) throw new InputError(`expected one of ${choices.join('|')}, got "${s}"`, { field: `--${name}` });
    return s as T;
  }

  /**
   * Throws on options no getter asked for (catches typos such as --num-mel-bin), naming the nearest
   * option the command did ask for: "unknown option --num-mel-bin (did you mean --num-mel-bins?)".
   */
  rejectUnknown(): void {
    const unknown = [...this.opts.keys()].filter((k) => !this.used.has(k));
    if (!unknown.length) return;
    const known = [...this.used, ...this.asked, ...this.booleans, ...this.booleans.map((b) => 'no-' + b)];
    const described = unknown.map((k) => {
      const near = nearestName(k, known);
      return near ? `--${k} (did you mean --${near}?)` : `--${k}`;
    });
    throw new InputError(`unknown option${unknown.length > 1 ? 's' : ''}: ${described.join(', ')}`);
  }
}

/** kebab-case to camelCase: `num-mel-bins` -> `numMelBins`. */
export function camelCase(kebab: string): string {
  return kebab.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** camelCase to kebab-case: `numMelBins` -> `num-mel-bins`. */
export function kebabCase(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}
