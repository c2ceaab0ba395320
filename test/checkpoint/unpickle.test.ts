import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BufferInput, unpickle } from '../../src/checkpoint/unpickle.ts';
import { PYTHON_CLASS } from '../../src/checkpoint/pickle-values.ts';
import { CheckpointFormatError } from '../../src/checkpoint/format-error.ts';

const DIR = fileURLToPath(new URL('../fixtures/torch/', import.meta.url));

function load(bytes: Uint8Array | number[], file = 'test.pkl'): unknown {
  const b = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
  return unpickle(new BufferInput(b, file), { file });
}

/** Opcode bytes from a mix of numbers and latin1 strings. */
function ops(...parts: (number | string)[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p);
    else for (const c of p) out.push(c.charCodeAt(0));
  }
  return Uint8Array.from(out);
}

const su = (s: string): (number | string)[] => [0x8c, s.length, s];

test('unpickle: Python pickles of every protocol 0-5 give the same plain values', () => {
  for (let protocol = 0; protocol <= 5; protocol++) {
    const v = load(readFileSync(join(DIR, `plain-protocol${protocol}.pkl`)), `p${protocol}`) as Record<string, unknown>;
    const label = `protocol ${protocol}`;
    assert.deepEqual(v.ints, [0, 1, -1, 255, 256, 65535, 65536, -(2 ** 31), 2 ** 31 - 1, 2 ** 31, 2n ** 53n, -(2n ** 64n)], label);
    assert.deepEqual(v.floats, [0.5, -1e300, 1e-300], label);
    assert.deepEqual(v.text, ['', 'a', 'h\u00e9llo \u2713', 'x'.repeat(300)], label);
    assert.deepEqual(v.bytes, Uint8Array.from([0, 1, 0xfe]), label);
    assert.deepEqual(v.tuple, [1, [2, 3], []], label);
    assert.deepEqual(JSON.parse(JSON.stringify(v.nested)), { a: [{ b: null }, true, false] }, label);
    assert.deepEqual(Object.entries(v.od as object), [['z', 1], ['y', 2]], `${label}: OrderedDict keeps its order`);
    assert.deepEqual({ ...(v.ns as object) }, { lr: 0.5, name: 'run' }, label);
    assert.equal((v.ns as Record<symbol, unknown>)[PYTHON_CLASS], 'argparse.Namespace', label);
    assert.deepEqual(v.set, new Set([3]), label);
    assert.deepEqual(v.frozenset, new Set([4]), label);
    const shared = v.shared as unknown[];
    assert.equal(shared[0], shared[1], `${label}: a shared object stays one object`);
    assert.equal(shared[0], v.nested, label);
  }
});

test('unpickle: memo, DUP, POP, POP_MARK, FRAME, MEMOIZE and NEWOBJ_EX as CPython defines them', () => {
  // protocol 4: FRAME, [1] MEMOIZE, DUP, POP, MARK 2 POP_MARK, APPEND BINGET 0 -> [1, <itself>]
  const v = load(ops(0x80, 4, 0x95, 20, 0, 0, 0, 0, 0, 0, 0, ']', 0x94, 'K', 1, 'a', '2', '0', '(', 'K', 2, '1', 'h', 0, 'a', '.')) as unknown[];
  assert.equal(v.length, 2);
  assert.equal(v[0], 1);
  assert.equal(v[1], v, 'a self-reference stays a cycle');
  // NEWOBJ_EX on a record class keeps its keyword arguments as its fields.
  const r = load(ops(0x80, 4, ...su('argparse'), ...su('Namespace'), 0x93, ')', '}', ...su('k'), 'K', 7, 's', 0x92, '.')) as Record<string, unknown>;
  assert.deepEqual({ ...r }, { k: 7 });
});

test('unpickle: a record class called with one argument and no state (an Enum member) becomes that argument', () => {
  const v = load(ops(0x80, 2, 'c', 'fairseq.dataclass.constants\nChoiceEnum\n', ...su('layer_norm'), 0x85, 'R', '.'));
  assert.equal(v, 'layer_norm');
});

test('unpickle: a pathlib path (as s3prl keeps paths in its saved arguments) becomes its string', () => {
  assert.equal(load(ops(0x80, 2, 'c', 'pathlib\nPosixPath\n', ...su('/'), ...su('data'), ...su('x.wav'), 0x87, 'R', '.')), '/data/x.wav');
});

test('unpickle: refusals name the problem and the file', () => {
  const refuses = (bytes: Uint8Array, pattern: RegExp): void =>
    assert.throws(
      () => load(bytes, 'evil.pkl'),
      (e: unknown) => e instanceof CheckpointFormatError && e.message.startsWith('evil.pkl: ') && pattern.test(e.message),
    );
  refuses(ops(0x80, 2, 'c', 'os\nsystem\n', ...su('x'), 0x85, 'R', '.'), /global os\.system/);
  refuses(ops(0x80, 2, 'c', 'builtins\ngetattr\n', '.'), /global builtins\.getattr/);
  refuses(ops(0x80, 2, 'c', '__builtin__\neval\n', '.'), /global builtins\.eval/);
  refuses(ops(0x80, 2, 'c', 'torch.nn.modules.linear\nLinear\n', '.'), /global torch\.nn\.modules\.linear\.Linear/);
  refuses(ops(0x80, 2, 'c', 'numpy\nload\n', '.'), /global numpy\.load/);
  // Allowed globals with the wrong arguments are refused too, not "tried".
  refuses(ops(0x80, 2, 'c', '_codecs\nencode\n', ...su('x'), ...su('rot13'), 0x86, 'R', '.'), /_codecs\.encode: only \(str, "latin1"\)/);
  refuses(ops(0x80, 2, 'c', 'copy_reg\n_reconstructor\n', 'c', 'collections\nOrderedDict\n', 'c', '__builtin__\nobject\n', 'N', 0x87, 'R', '.'), /only record classes are reconstructed/);
  refuses(ops(0x80, 2, 'c', 'torch\nfloat16\n', ')', 'R', '.'), /torch\.float16 is not callable here/);
  refuses(ops(0x80, 6, '.'), /pickle protocol 6/);
  refuses(ops(0x80, 2, 0xff, '.'), /unknown or unsupported pickle opcode 0xff at byte 2/);
  refuses(ops(0x80, 2, 'X', 100, 0, 0, 0, 'abc'), /truncated pickle: wanted 100 bytes at offset 7/);
  refuses(ops(0x80, 2, ']', 'K', 1), /truncated pickle/);
  refuses(ops(0x80, 2, 'K', 1, 'K', 2, '.'), /STOP with 2 values/);
  refuses(ops(0x80, 2, 'h', 5, '.'), /memo entry 5 was never stored/);
  refuses(ops(0x80, 2, 's', '.'), /stack underflow/);
  refuses(ops(0x80, 2, ...su('x'), 'Q', '.'), /a persistent id, but this file has no storages/);
  refuses(ops(0x80, 2, 'K', 1, ')', 'b', '.'), /BUILD on a number/);
  // A nesting bomb: 5000 lists inside each other.
  refuses(ops(0x80, 2, ...Array(5000).fill(']'), ...Array(4999).fill('a'), '.'), /nests deeper than 1000 levels/);
});
