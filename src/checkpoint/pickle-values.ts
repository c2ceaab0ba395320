import { CheckpointFormatError } from './format-error.ts';
import { TorchStorage, TorchTensor } from './torch-tensor.ts';

/**
 * The values the unpickler builds while it runs, and their conversion to plain JavaScript once the
 * pickle has stopped (dicts are filled by SETITEM after they are made, records by BUILD, so the final
 * shape of a value is only known at the end).
 */

/** A Python dict (also an OrderedDict) while it is being filled. `state` holds what BUILD gave it. */
export class PyDict {
  readonly map = new Map<unknown, unknown>();
  state: unknown = undefined;
}

/** A Python tuple (a frozen array after conversion, kept apart from lists while unpickling). */
export class PyTuple {
  constructor(readonly items: unknown[]) {}
}

/**
 * An instance of an allowed record class (argparse.Namespace, fairseq/omegaconf configs): the class is
 * never run; its constructor arguments and the state BUILD gives it are kept as data.
 */
export class PyRecord {
  state: unknown = undefined;
  constructor(
    readonly className: string,
    readonly args: unknown[],
  ) {}
}

/** numpy.dtype('<code>') with its byte order ('<', '>', '|', '=') from BUILD. */
export class NumpyDType {
  byteOrder = '=';
  constructor(readonly code: string) {}
}

/** numpy.ndarray made by `_reconstruct`, given its shape, dtype and bytes by BUILD. */
export class NumpyArray {
  tensor: TorchTensor | undefined = undefined;
}

/** The storage classes of `torch` (`torch.FloatStorage`, ...): persistent ids name one. */
export class TorchStorageType {
  constructor(
    readonly name: string,
    readonly dtype: TorchStorage['dtype'],
  ) {}
}

/** A global the allow-list admits, as the pickle refers to it (GLOBAL / STACK_GLOBAL). */
export class PyGlobal {
  constructor(
    readonly name: string,
    readonly kind: 'function' | 'record' | 'value',
    readonly call: ((args: unknown[]) => unknown) | undefined,
    /** What a bare reference converts to (a dtype name, a type's name). */
    readonly value: unknown,
  ) {}
}

/** The Python class of a record in the output (`argparse.Namespace`, ...), as a symbol-keyed field. */
export const PYTHON_CLASS: unique symbol = Symbol.for('speech-ssl.pythonClass');

const MAX_DEPTH = 1000;

/**
 * The unpickled value as plain JavaScript: dicts with only string keys become null-prototype objects
 * (other dicts a Map), lists and tuples arrays, sets Set, bytes Uint8Array, records null-prototype objects
 * of their state (with their class under PYTHON_CLASS), omegaconf containers their content, numpy arrays
 * and torch tensors TorchTensor. Shared references stay shared.
 */
export function toPlain(value: unknown, file: string): unknown {
  const seen = new Map<object, unknown>();
  const convert = (v: unknown, depth: number): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (depth > MAX_DEPTH) throw new CheckpointFormatError(`the pickle nests deeper than ${MAX_DEPTH} levels`, file);
    if (seen.has(v)) return seen.get(v);
    if (v instanceof TorchTensor || v instanceof TorchStorage || v instanceof Uint8Array) return v;
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      seen.set(v, out);
      for (const x of v) out.push(convert(x, depth + 1));
      return out;
    }
    if (v instanceof PyTuple) {
      const out: unknown[] = [];
      seen.set(v, out);
      for (const x of v.items) out.push(convert(x, depth + 1));
      return out;
    }
    if (v instanceof PyDict) {
      const keys = [...v.map.keys()];
      if (keys.every((k) => typeof k === 'string')) {
        const out: Record<string, unknown> = Object.create(null);
        seen.set(v, out);
        for (const [k, x] of v.map) out[k as string] = convert(x, depth + 1);
        return out;
      }
      const out = new Map<unknown, unknown>();
      seen.set(v, out);
      for (const [k, x] of v.map) out.set(convert(k, depth + 1), convert(x, depth + 1));
      return out;
    }
    if (v instanceof Set) {
      const out = new Set<unknown>();
      seen.set(v, out);
      for (const x of v) out.add(convert(x, depth + 1));
      return out;
    }
    if (v instanceof PyRecord) {
      if (v.className.startsWith('omegaconf.')) return convert(omegaconfContent(v), depth + 1);
      // An Enum member (`Cls(value)`, no state) is its value.
      if (v.state === undefined && v.args.length === 1) return convert(v.args[0], depth + 1);
      const out: Record<string | symbol, unknown> = Object.create(null);
      seen.set(v, out);
      Object.defineProperty(out, PYTHON_CLASS, { value: v.className, enumerable: false });
      if (v.args.length) out.__args__ = v.args.map((x) => convert(x, depth + 1));
      for (const part of recordStateParts(v.state)) {
        for (const [k, x] of part.map) out[String(k)] = convert(x, depth + 1);
      }
      return out;
    }
    if (v instanceof NumpyArray) {
      if (!v.tensor) throw new CheckpointFormatError('a numpy array was made but never given its data (no BUILD)', file);
      return v.tensor;
    }
    if (v instanceof NumpyDType) return v.code;
    if (v instanceof TorchStorageType) return `torch.${v.name}`;
    if (v instanceof PyGlobal) return v.value;
    throw new CheckpointFormatError(`cannot convert a ${(v as object).constructor?.name ?? 'value'} to JavaScript`, file);
  };
  return convert(value, 0);
}

/** A record's state: a dict, or the (dict, slots dict) pair of classes with __slots__. */
function recordStateParts(state: unknown): PyDict[] {
  if (state instanceof PyDict) return [state];
  if (state instanceof PyTuple) return state.items.filter((x): x is PyDict => x instanceof PyDict);
  return [];
}

/** omegaconf's DictConfig/ListConfig keep their items in `_content`, value nodes theirs in `_val`. */
function omegaconfContent(r: PyRecord): unknown {
  const state = recordStateParts(r.state).find((d) => d.map.has('_content') || d.map.has('_val'));
  if (!state) return null;
  if (state.map.has('_val')) return state.map.get('_val');
  return state.map.get('_content') ?? null;
}
