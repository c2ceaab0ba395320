import { CheckpointFormatError } from './format-error.ts';
import { NumpyArray, NumpyDType, PyDict, PyGlobal, PyRecord, PyTuple, TorchStorageType } from './pickle-values.ts';
import { DTYPE_BYTES, MemorySource, TorchStorage, TorchTensor, type TorchDType } from './torch-tensor.ts';

/**
 * The globals a checkpoint pickle may name, and what each one does here. This is the whole allow-list:
 * a pickle naming anything else (`os.system`, `builtins.eval`, `subprocess.Popen`, a model class) is
 * refused with the global's name before anything else happens. Nothing listed runs code from the file:
 * each "function" is a small TypeScript function over plain data, each "record" class is only recorded
 * (its constructor arguments and BUILD state become a plain object), each "value" is a name.
 */

const STORAGE_TYPES: Record<string, TorchDType> = {
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  DoubleStorage: 'float64',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  UntypedStorage: 'uint8',
};

const TORCH_DTYPES: Record<string, TorchDType> = {
  float32: 'float32',
  float: 'float32',
  float16: 'float16',
  half: 'float16',
  bfloat16: 'bfloat16',
  float64: 'float64',
  double: 'float64',
  int64: 'int64',
  long: 'int64',
  int32: 'int32',
  int: 'int32',
  int16: 'int16',
  short: 'int16',
  int8: 'int8',
  uint8: 'uint8',
  bool: 'bool',
};

/** Type names that only appear as values (omegaconf metadata, `_rebuild_from_type_v2`'s new type). */
const TYPE_VALUES = [
  'builtins.object',
  'builtins.dict',
  'builtins.list',
  'builtins.tuple',
  'builtins.str',
  'builtins.int',
  'builtins.float',
  'builtins.bool',
  'typing.Any',
  'torch.Tensor',
  'torch.nn.parameter.Parameter',
  'numpy.ndarray',
];

/** Record classes: instantiated and given state, never run. Exact names, then module prefixes. */
const RECORD_CLASSES = new Set(['argparse.Namespace']);
const RECORD_MODULES = ['fairseq.', 'omegaconf.'];

function fail(name: string, message: string): never {
  throw new Error(`${name}: ${message}`);
}

function int(name: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(name, `${what} must be a non-negative integer, got ${String(v)}`);
  return v;
}

function intTuple(name: string, what: string, v: unknown): number[] {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : undefined;
  if (!items) fail(name, `${what} must be a tuple of integers`);
  return items.map((x, i) => int(name, `${what}[${i}]`, x));
}

function rebuildTensor(name: string, args: unknown[]): TorchTensor {
  const [storage, offset, size, stride, requiresGrad] = args;
  if (!(storage instanceof TorchStorage)) fail(name, 'the first argument is not a storage (persistent id)');
  const shape = intTuple(name, 'size', size);
  const strides = intTuple(name, 'stride', stride);
  if (shape.length !== strides.length) fail(name, `size [${shape}] and stride [${strides}] differ in length`);
  const t = new TorchTensor(storage, int(name, 'storage offset', offset), shape, strides, requiresGrad === true);
  if (t.extent > storage.numel) {
    throw new CheckpointFormatError(
      `a ${t.dtype} tensor of shape [${shape}] (strides [${strides}], offset ${t.storageOffset}) needs ${t.extent} elements of its storage, which holds ${storage.numel}`,
      storage.source.name,
    );
  }
  return t;
}

function tensorArg(name: string, v: unknown): TorchTensor {
  if (!(v instanceof TorchTensor)) fail(name, 'expected a tensor as its first argument');
  return v;
}

function latin1(name: string, args: unknown[]): Uint8Array {
  const [text, encoding] = args;
  if (typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1')) fail(name, 'only (str, "latin1") is allowed (how protocol 2 pickles bytes)');
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 255) fail(name, 'a latin1 string with a character above 255');
    out[i] = c;
  }
  return out;
}

const NUMPY_CODES: Record<string, TorchDType> = {
  f8: 'float64',
  f4: 'float32',
  f2: 'float16',
  i8: 'int64',
  i4: 'int32',
  i2: 'int16',
  i1: 'int8',
  u1: 'uint8',
  b1: 'bool',
};

function numpyDtypeOf(name: string, d: unknown): { dtype: TorchDType; bigEndian: boolean } {
  if (!(d instanceof NumpyDType)) fail(name, 'expected a numpy.dtype');
  const dtype = NUMPY_CODES[d.code];
  if (!dtype) fail(name, `numpy dtype "${d.code}" is not read (only ${Object.keys(NUMPY_CODES).join(', ')})`);
  return { dtype, bigEndian: d.byteOrder === '>' };
}

function numpyScalar(name: string, args: unknown[]): number | bigint | boolean {
  const [d, data] = args;
  const { dtype, bigEndian } = numpyDtypeOf(name, d);
  if (!(data instanceof Uint8Array) || data.length !== DTYPE_BYTES[dtype]) fail(name, `expected ${DTYPE_BYTES[dtype]} bytes of ${dtype}`);
  const storage = new TorchStorage(dtype, 1, new MemorySource(name, data), 0, bigEndian);
  const t = new TorchTensor(storage, 0, [], []);
  if (dtype === 'bool') return data[0] !== 0;
  if (dtype === 'int64') {
    const v = (t.toTypedArray() as BigInt64Array)[0];
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }
  if (dtype === 'float64') return (t.toTypedArray() as Float64Array)[0];
  return t.toFloat32()[0];
}

function reconstruct(name: string, args: unknown[]): NumpyArray {
  const [cls] = args;
  if (!(cls instanceof PyGlobal) || cls.name !== 'numpy.ndarray') fail(name, 'only numpy.ndarray is reconstructed');
  return new NumpyArray();
}

/** BUILD on a numpy array: (version, shape, dtype, is_fortran, raw bytes). */
export function buildNumpyArray(target: NumpyArray, state: unknown, file: string): void {
  const name = 'numpy.ndarray';
  const items = state instanceof PyTuple ? state.items : undefined;
  if (!items || items.length !== 5) throw new CheckpointFormatError(`${name}: unexpected state (expected version, shape, dtype, fortran, data)`, file);
  const [, shapeV, d, fortran, data] = items;
  const shape = intTuple(name, 'shape', shapeV);
  const { dtype, bigEndian } = numpyDtypeOf(name, d);
  if (!(data instanceof Uint8Array)) throw new CheckpointFormatError(`${name}: only arrays of plain numbers are read (this one holds Python objects)`, file);
  const n = shape.reduce((a, b) => a * b, 1);
  if (data.length !== n * DTYPE_BYTES[dtype]) throw new CheckpointFormatError(`${name}: ${data.length} bytes for ${n} elements of ${dtype}`, file);
  // Fortran order: the strides of the transposed C layout.
  const strides = new Array<number>(shape.length);
  let s = 1;
  const order = fortran === true ? shape.map((_, i) => i) : shape.map((_, i) => shape.length - 1 - i);
  for (const i of order) (strides[i] = s), (s *= shape[i]);
  target.tensor = new TorchTensor(new TorchStorage(dtype, n, new MemorySource(`${file}: numpy array`, data), 0, bigEndian), 0, shape, strides);
}

/** BUILD on numpy.dtype: (version, byte order, ...). */
export function buildNumpyDType(target: NumpyDType, state: unknown): void {
  if (state instanceof PyTuple && typeof state.items[1] === 'string') target.byteOrder = state.items[1];
}

function fromTypeV2(name: string, args: unknown[]): unknown {
  const [func, newType, funcArgs] = args;
  if (!(func instanceof PyGlobal) || !func.call) fail(name, 'the rebuild function is not callable');
  if (!(newType instanceof PyGlobal) || !['torch.Tensor', 'torch.nn.parameter.Parameter'].includes(newType.name)) fail(name, 'only plain tensors and parameters are rebuilt');
  const list = funcArgs instanceof PyTuple ? funcArgs.items : undefined;
  if (!list) fail(name, 'expected a tuple of arguments');
  return func.call(list);
}

const FUNCTIONS: Record<string, (name: string, args: unknown[]) => unknown> = {
  'torch._utils._rebuild_tensor_v2': rebuildTensor,
  'torch._utils._rebuild_tensor': rebuildTensor,
  'torch._utils._rebuild_parameter': (n, a) => tensorArg(n, a[0]),
  'torch._utils._rebuild_parameter_with_state': (n, a) => tensorArg(n, a[0]),
  'torch._tensor._rebuild_from_type_v2': fromTypeV2,
  'collections.OrderedDict': (n, a) => {
    const d = new PyDict();
    const pairs = a[0];
    if (pairs !== undefined) {
      const items = Array.isArray(pairs) ? pairs : pairs instanceof PyTuple ? pairs.items : fail(n, 'expected a list of pairs');
      for (const p of items) {
        if (!(p instanceof PyTuple) || p.items.length !== 2) fail(n, 'expected (key, value) pairs');
        d.map.set(p.items[0], p.items[1]);
      }
    }
    return d;
  },
  // omegaconf's resolver cache; the default factory is a type name, never called.
  'collections.defaultdict': () => new PyDict(),
  'builtins.set': (n, a) => new Set(a[0] === undefined ? [] : Array.isArray(a[0]) ? a[0] : a[0] instanceof PyTuple ? a[0].items : fail(n, 'expected a list')),
  'builtins.frozenset': (n, a) => new Set(a[0] === undefined ? [] : Array.isArray(a[0]) ? a[0] : a[0] instanceof PyTuple ? a[0].items : fail(n, 'expected a list')),
  '_codecs.encode': latin1,
  // A path (s3prl and other trainers keep them in their saved arguments): its parts joined.
  'pathlib.PosixPath': (n, a) => (a.every((x) => typeof x === 'string') ? (a as string[]).join('/').replace(/\/\/+/g, '/') : fail(n, 'expected path parts')),
  'pathlib.WindowsPath': (n, a) => (a.every((x) => typeof x === 'string') ? (a as string[]).join('\\') : fail(n, 'expected path parts')),
  'torch.Size': (n, a) => intTuple(n, 'size', a[0] ?? new PyTuple([])),
  'torch.device': (n, a) => (typeof a[0] === 'string' ? a[0] : fail(n, 'expected a device name')),
  'numpy.core.multiarray.scalar': numpyScalar,
  'numpy._core.multiarray.scalar': numpyScalar,
  'numpy.dtype': (n, a) => (typeof a[0] === 'string' ? new NumpyDType(a[0]) : fail(n, 'expected a dtype code')),
  'numpy.core.multiarray._reconstruct': reconstruct,
  'numpy._core.multiarray._reconstruct': reconstruct,
  'copyreg._reconstructor': (n, a) => {
    const [cls, base] = a;
    if (!(cls instanceof PyGlobal) || cls.kind !== 'record') fail(n, `only record classes are reconstructed (got ${cls instanceof PyGlobal ? cls.name : typeof cls})`);
    if (!(base instanceof PyGlobal) || base.name !== 'builtins.object') fail(n, 'only classes based on object are reconstructed');
    return new PyRecord(cls.name, []);
  },
};

/** Python 2 module names that protocol 2 pickles use for Python 3's. */
const PY2_MODULES: Record<string, string> = { __builtin__: 'builtins', copy_reg: 'copyreg' };

/** The global `module.name` if the allow-list admits it; otherwise an error naming it. */
const PY2_NAMES: Record<string, string> = { 'builtins.long': 'builtins.int', 'builtins.unicode': 'builtins.str' };

export function resolveGlobal(module: string, name: string, file: string): PyGlobal {
  const py3 = `${PY2_MODULES[module] ?? module}.${name}`;
  const full = PY2_NAMES[py3] ?? py3;
  const fn = FUNCTIONS[full];
  if (fn) {
    return new PyGlobal(full, 'function', (args) => {
      try {
        return fn(full, args);
      } catch (e) {
        if (e instanceof CheckpointFormatError) throw e;
        throw new CheckpointFormatError((e as Error).message, file);
      }
    }, full);
  }
  const torchName = full.startsWith('torch.') ? full.slice('torch.'.length) : undefined;
  const storageName = full === 'torch.storage.UntypedStorage' ? 'UntypedStorage' : torchName;
  if (storageName && STORAGE_TYPES[storageName]) return new PyGlobal(full, 'value', undefined, new TorchStorageType(storageName, STORAGE_TYPES[storageName]));
  if (torchName && TORCH_DTYPES[torchName]) return new PyGlobal(full, 'value', undefined, `torch.${TORCH_DTYPES[torchName]}`);
  if (TYPE_VALUES.includes(full)) return new PyGlobal(full, 'value', undefined, full);
  if (RECORD_CLASSES.has(full) || RECORD_MODULES.some((m) => full.startsWith(m))) return new PyGlobal(full, 'record', undefined, full);
  const hint = full.startsWith('torch.nn.') || full.startsWith('__main__.') ? ' (a pickled model object: save its state_dict() instead)' : '';
  throw new CheckpointFormatError(
    `the pickle asks for the global ${full}, which is not on the allow-list (tensors, OrderedDict, numpy scalars and arrays, argparse.Namespace, fairseq/omegaconf configs); nothing from the file was run${hint}`,
    file,
  );
}
