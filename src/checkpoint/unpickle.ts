import { CheckpointFormatError } from './format-error.ts';
import { buildNumpyArray, buildNumpyDType, resolveGlobal } from './pickle-globals.ts';
import { NumpyArray, NumpyDType, PyDict, PyGlobal, PyRecord, PyTuple, toPlain } from './pickle-values.ts';
import { dataView, latin1, littleInt, textInt, u32, u64, utf8, type PickleInput } from './pickle-input.ts';

export { BufferInput, type PickleInput } from './pickle-input.ts';

/**
 * A minimal unpickler for checkpoints: the opcodes of protocols 0-5 that `torch.save`, `pickle.dump` of
 * plain data, numpy and argparse emit, run as data operations on a stack. Globals go through the
 * allow-list in pickle-globals.ts; an opcode not listed here (EXT*, out-of-band buffers) is an error that
 * names it in hex with its byte offset. Nothing from the file is ever executed.
 */

export interface UnpickleOptions {
  /** Named in every error: the file, and the entry inside a zip. */
  file: string;
  /** Resolves a persistent id (BINPERSID); torch's are ('storage', type, key, location, numel). */
  persistentLoad?: (pid: unknown) => unknown;
}

/** Reads one pickle (up to STOP) from `input`; returns it as plain JavaScript (see toPlain). */
export function unpickle(input: PickleInput, options: UnpickleOptions): unknown {
  return toPlain(unpickleRaw(input, options), options.file);
}

/** As unpickle, but returns the unpickler's own values (PyDict, PyTuple, PyGlobal, ...). */
export function unpickleRaw(input: PickleInput, options: UnpickleOptions): unknown {
  const { file } = options;
  let stack: unknown[] = [];
  const marks: unknown[][] = [];
  const memo = new Map<number, unknown>();
  // The argument is evaluated before `stack` is read: popMark() inside it swaps the stack.
  const push = (v: unknown): void => {
    stack.push(v);
  };
  const pop = (): unknown => {
    if (stack.length === 0) throw new Error('stack underflow');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) throw new Error('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const items = stack;
    const prev = marks.pop();
    if (!prev) throw new Error('no MARK on the stack');
    stack = prev;
    return items;
  };
  const get = (i: number): unknown => {
    if (!memo.has(i)) throw new Error(`memo entry ${i} was never stored`);
    return memo.get(i);
  };
  const call = (fn: unknown, args: unknown[], how: string): unknown => {
    if (!(fn instanceof PyGlobal)) throw new Error(`${how} on something that is not a global`);
    if (fn.kind === 'function') return fn.call!(args);
    if (fn.kind === 'record') return new PyRecord(fn.name, args);
    throw new Error(`${how}: ${fn.name} is not callable here`);
  };
  const tupleItems = (v: unknown, what: string): unknown[] => {
    if (v instanceof PyTuple) return v.items;
    throw new Error(`${what} must be a tuple`);
  };
  const setItems = (target: unknown, items: unknown[]): void => {
    if (!(target instanceof PyDict)) throw new Error('SETITEM(S) on something that is not a dict');
    if (items.length % 2) throw new Error('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) target.map.set(items[i], items[i + 1]);
  };
  const append = (target: unknown, items: unknown[]): void => {
    if (!Array.isArray(target)) throw new Error('APPEND(S) on something that is not a list');
    for (const x of items) target.push(x);
  };
  const build = (target: unknown, state: unknown): void => {
    if (target instanceof PyRecord) target.state = state;
    else if (target instanceof PyDict) target.state = state;
    else if (target instanceof NumpyDType) buildNumpyDType(target, state);
    else if (target instanceof NumpyArray) buildNumpyArray(target, state, file);
    else throw new Error(`BUILD on a ${target === null ? 'None' : typeof target === 'object' ? target.constructor.name : typeof target}`);
  };

  for (;;) {
    const at = input.position;
    const op = input.read(1)[0];
    try {
      switch (op) {
        case 0x80: {
          const proto = input.read(1)[0];
          if (proto > 5) throw new Error(`pickle protocol ${proto} (only 0-5 are read)`);
          break;
        }
        case 0x95: // FRAME: a length hint, the frame's bytes follow inline.
          input.read(8);
          break;
        case 0x2e: // STOP
          if (stack.length !== 1 || marks.length) throw new Error(`STOP with ${stack.length} values and ${marks.length} marks on the stack`);
          return stack[0];
        case 0x28: // MARK
          marks.push(stack);
          stack = [];
          break;
        case 0x7d: // EMPTY_DICT
          push(new PyDict());
          break;
        case 0x5d: // EMPTY_LIST
          push([]);
          break;
        case 0x29: // EMPTY_TUPLE
          push(new PyTuple([]));
          break;
        case 0x8f: // EMPTY_SET
          push(new Set());
          break;
        case 0x74: // TUPLE
          push(new PyTuple(popMark()));
          break;
        case 0x85: // TUPLE1
          push(new PyTuple([pop()]));
          break;
        case 0x86: {
          const b = pop();
          push(new PyTuple([pop(), b]));
          break;
        }
        case 0x87: {
          const c = pop();
          const b = pop();
          push(new PyTuple([pop(), b, c]));
          break;
        }
        case 0x6c: // LIST
          push(popMark());
          break;
        case 0x64: {
          // DICT
          const d = new PyDict();
          setItems(d, popMark());
          push(d);
          break;
        }
        case 0x91: // FROZENSET
          push(new Set(popMark()));
          break;
        case 0x90: {
          // ADDITEMS
          const items = popMark();
          const s = top();
          if (!(s instanceof Set)) throw new Error('ADDITEMS on something that is not a set');
          for (const x of items) s.add(x);
          break;
        }
        case 0x61: {
          // APPEND
          const v = pop();
          append(top(), [v]);
          break;
        }
        case 0x65: {
          // APPENDS
          const items = popMark();
          append(top(), items);
          break;
        }
        case 0x73: {
          // SETITEM
          const v = pop();
          const k = pop();
          setItems(top(), [k, v]);
          break;
        }
        case 0x75: {
          // SETITEMS
          const items = popMark();
          setItems(top(), items);
          break;
        }
        case 0x4e: // NONE
          push(null);
          break;
        case 0x88: // NEWTRUE
          push(true);
          break;
        case 0x89: // NEWFALSE
          push(false);
          break;
        case 0x4a: // BININT
          push(dataView(input.read(4)).getInt32(0, true));
          break;
        case 0x4b: // BININT1
          push(input.read(1)[0]);
          break;
        case 0x4d: {
          const b = input.read(2);
          push(b[0] | (b[1] << 8));
          break;
        }
        case 0x8a: // LONG1
          push(littleInt(input.read(input.read(1)[0])));
          break;
        case 0x8b: {
          // LONG4
          const n = dataView(input.read(4)).getInt32(0, true);
          if (n < 0) throw new Error('LONG4 with a negative length');
          push(littleInt(input.read(n)));
          break;
        }
        case 0x49: {
          // INT (protocol 0; "01"/"00" are True/False)
          const line = input.readLine();
          push(line === '01' ? true : line === '00' ? false : textInt(line));
          break;
        }
        case 0x4c: // LONG (protocol 0)
          push(textInt(input.readLine()));
          break;
        case 0x47: // BINFLOAT (big-endian double)
          push(dataView(input.read(8)).getFloat64(0, false));
          break;
        case 0x46: {
          const v = Number(input.readLine());
          push(v);
          break;
        }
        case 0x58: // BINUNICODE
          push(utf8.decode(input.read(u32(input))));
          break;
        case 0x8c: // SHORT_BINUNICODE
          push(utf8.decode(input.read(input.read(1)[0])));
          break;
        case 0x8d: // BINUNICODE8
          push(utf8.decode(input.read(u64(input))));
          break;
        case 0x56: // UNICODE (raw-unicode-escape)
          push(input.readLine().replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, a, b) => String.fromCodePoint(parseInt(a ?? b, 16))));
          break;
        case 0x54: // BINSTRING (Python 2 str, read as latin1)
          push(latin1(input.read(u32(input))));
          break;
        case 0x55: // SHORT_BINSTRING
          push(latin1(input.read(input.read(1)[0])));
          break;
        case 0x42: // BINBYTES
          push(input.read(u32(input)).slice());
          break;
        case 0x43: // SHORT_BINBYTES
          push(input.read(input.read(1)[0]).slice());
          break;
        case 0x8e: // BINBYTES8
        case 0x96: // BYTEARRAY8
          push(input.read(u64(input)).slice());
          break;
        case 0x63: {
          // GLOBAL "module\nname\n"
          const module = input.readLine();
          push(resolveGlobal(module, input.readLine(), file));
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = pop();
          const module = pop();
          if (typeof module !== 'string' || typeof name !== 'string') throw new Error('STACK_GLOBAL needs two strings');
          push(resolveGlobal(module, name, file));
          break;
        }
        case 0x52: {
          // REDUCE
          const args = pop();
          const fn = pop();
          push(call(fn, tupleItems(args, 'REDUCE arguments'), 'REDUCE'));
          break;
        }
        case 0x81: {
          // NEWOBJ
          const args = pop();
          const cls = pop();
          push(call(cls, tupleItems(args, 'NEWOBJ arguments'), 'NEWOBJ'));
          break;
        }
        case 0x92: {
          // NEWOBJ_EX (keyword arguments are dropped unless the class is a record, which keeps them)
          const kwargs = pop();
          const args = pop();
          const cls = pop();
          const obj = call(cls, tupleItems(args, 'NEWOBJ_EX arguments'), 'NEWOBJ_EX');
          if (obj instanceof PyRecord && kwargs instanceof PyDict && kwargs.map.size) obj.state = kwargs;
          push(obj);
          break;
        }
        case 0x6f: {
          // OBJ: MARK cls args...
          const items = popMark();
          push(call(items[0], items.slice(1), 'OBJ'));
          break;
        }
        case 0x69: {
          // INST "module\nname\n", MARK args...
          const module = input.readLine();
          const cls = resolveGlobal(module, input.readLine(), file);
          push(call(cls, popMark(), 'INST'));
          break;
        }
        case 0x62: {
          // BUILD
          const state = pop();
          build(top(), state);
          break;
        }
        case 0x51: {
          // BINPERSID
          const pid = pop();
          if (!options.persistentLoad) throw new Error('a persistent id, but this file has no storages');
          push(options.persistentLoad(pid));
          break;
        }
        case 0x50: {
          const pid = input.readLine();
          if (!options.persistentLoad) throw new Error('a persistent id, but this file has no storages');
          push(options.persistentLoad(pid));
          break;
        }
        case 0x70: // PUT
          memo.set(Number(input.readLine()), top());
          break;
        case 0x71: // BINPUT
          memo.set(input.read(1)[0], top());
          break;
        case 0x72: // LONG_BINPUT
          memo.set(u32(input), top());
          break;
        case 0x94: // MEMOIZE
          memo.set(memo.size, top());
          break;
        case 0x67: // GET
          push(get(Number(input.readLine())));
          break;
        case 0x68: // BINGET
          push(get(input.read(1)[0]));
          break;
        case 0x6a: // LONG_BINGET
          push(get(u32(input)));
          break;
        case 0x30: // POP
          if (stack.length) stack.pop();
          else popMark();
          break;
        case 0x31: // POP_MARK
          popMark();
          break;
        case 0x32: // DUP
          push(top());
          break;
        default:
          throw new CheckpointFormatError(`unknown or unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at}`, file);
      }
    } catch (e) {
      if (e instanceof CheckpointFormatError) throw e;
      throw new CheckpointFormatError(`bad pickle at byte ${at} (opcode 0x${op.toString(16).padStart(2, '0')}): ${(e as Error).message}`, file);
    }
  }
}

