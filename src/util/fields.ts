import { InputError } from './errors.ts';

/**
 * Typed reading of one object of a config file (JSON or YAML), with errors that name the file, the
 * dotted field and what was expected. Each getter takes the default, so the defaults of a unit live in
 * one place (its `*_DEFAULTS` object) and are passed here. `done()` rejects fields nobody asked for.
 *
 *   const f = new Fields(raw.optim, 'optim', file);
 *   const lr = f.number('lr', DEFAULTS.lr, { min: 0 });
 *   f.done();
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

export interface NumberRule {
  min?: number;
  max?: number;
  /** Exclusive lower bound. */
  above?: number;
  /** Exclusive upper bound. */
  below?: number;
  integer?: boolean;
}

export class Fields {
  private readonly obj: Record<string, unknown>;
  private readonly used = new Set<string>();

  /** `raw` undefined reads as an empty object (every field at its default). */
  constructor(raw: unknown, readonly path: string, readonly file?: string) {
    if (raw === undefined || raw === null) raw = {};
    if (typeof raw !== 'object' || Array.isArray(raw)) throw new InputError(`expected an object, got ${describe(raw)}`, { file, field: path || '(top level)' });
    this.obj = raw as Record<string, unknown>;
  }

  /** The dotted name of a field of this object. */
  field(name: string): string {
    return this.path ? `${this.path}.${name}` : name;
  }

  fail(name: string, message: string): never {
    throw new InputError(message, { file: this.file, field: this.field(name) });
  }

  has(name: string): boolean {
    return this.obj[name] !== undefined;
  }

  /** The raw value (marks the field as used). */
  raw(name: string): unknown {
    this.used.add(name);
    return this.obj[name];
  }

  number(name: string, def: number, rule: NumberRule = {}): number {
    const v = this.raw(name);
    if (v === undefined) return def;
    return this.checkNumber(name, v, rule);
  }

  optionalNumber(name: string, rule: NumberRule = {}): number | undefined {
    const v = this.raw(name);
    if (v === undefined || v === null) return undefined;
    return this.checkNumber(name, v, rule);
  }

  int(name: string, def: number, rule: NumberRule = {}): number {
    return this.number(name, def, { ...rule, integer: true });
  }

  string(name: string, def: string): string {
    const v = this.raw(name);
    if (v === undefined) return def;
    if (typeof v !== 'string') this.fail(name, `expected a string, got ${describe(v)}`);
    return v;
  }

  optionalString(name: string): string | undefined {
    const v = this.raw(name);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') this.fail(name, `expected a string, got ${describe(v)}`);
    return v;
  }

  choice<T extends string>(name: string, choices: readonly T[], def: T): T {
    const v = this.string(name, def);
    if (!choices.includes(v as T)) this.fail(name, `expected one of ${choices.join('|')}, got "${v}"`);
    return v as T;
  }

  bool(name: string, def: boolean): boolean {
    const v = this.raw(name);
    if (v === undefined) return def;
    if (typeof v !== 'boolean') this.fail(name, `expected true or false, got ${describe(v)}`);
    return v;
  }

  /** A nested object (absent reads as empty). */
  object(name: string): Fields {
    return new Fields(this.raw(name), this.field(name), this.file);
  }

  /** A list; `def` when absent. */
  list(name: string, def: unknown[] = []): unknown[] {
    const v = this.raw(name);
    if (v === undefined) return def;
    if (!Array.isArray(v)) this.fail(name, `expected a list, got ${describe(v)}`);
    return v;
  }

  numberList(name: string, def: number[], rule: NumberRule = {}): number[] {
    return this.list(name, def).map((x, i) => this.checkNumber(`${name}[${i}]`, x, rule));
  }

  /** A non-empty list of objects, each read by `read` from its own Fields (`name[i]`). */
  objectList<T>(name: string, def: T[], read: (f: Fields) => T): T[] {
    const v = this.raw(name);
    if (v === undefined) return def;
    if (!Array.isArray(v) || v.length === 0) this.fail(name, `expected a non-empty list, got ${describe(v)}`);
    return v.map((item, i) => {
      const f = new Fields(item, `${this.field(name)}[${i}]`, this.file);
      const out = read(f);
      f.done();
      return out;
    });
  }

  /** A JSON-serialisable value kept as it is (validated later by whoever owns it). */
  json(name: string): JsonValue | undefined {
    const v = this.raw(name);
    return v === undefined ? undefined : (v as JsonValue);
  }

  /** Throws on fields no getter asked for, listing the known ones. */
  done(known: readonly string[] = []): void {
    const unknown = Object.keys(this.obj).filter((k) => !this.used.has(k) && !known.includes(k));
    if (unknown.length) {
      const allowed = [...new Set([...this.used, ...known])].sort().join(', ');
      this.fail(unknown[0], `unknown field${unknown.length > 1 ? ` (also ${unknown.slice(1).join(', ')})` : ''}; known fields here: ${allowed || 'none'}`);
    }
  }

  private checkNumber(name: string, v: unknown, rule: NumberRule): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(name, `expected a finite number, got ${describe(v)}`);
    if (rule.integer && !Number.isInteger(v)) this.fail(name, `expected an integer, got ${v}`);
    if (rule.min !== undefined && v < rule.min) this.fail(name, `expected a number >= ${rule.min}, got ${v}`);
    if (rule.above !== undefined && !(v > rule.above)) this.fail(name, `expected a number > ${rule.above}, got ${v}`);
    if (rule.max !== undefined && v > rule.max) this.fail(name, `expected a number <= ${rule.max}, got ${v}`);
    if (rule.below !== undefined && !(v < rule.below)) this.fail(name, `expected a number < ${rule.below}, got ${v}`);
    return v;
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `"${v.length > 40 ? v.slice(0, 40) + '...' : v}"`;
  if (typeof v === 'object') return 'an object';
  return String(v);
}
