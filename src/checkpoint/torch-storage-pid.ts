import { CheckpointFormatError } from './format-error.ts';
import { PyGlobal, PyTuple, TorchStorageType } from './pickle-values.ts';
import type { TorchDType, TorchStorage } from './torch-tensor.ts';

/** An old-style storage view (legacy format only): `numel` elements from `offset` of the root storage. */
export interface StorageView {
  offset: number;
  numel: number;
}

/**
 * Checks a torch.save persistent id — ('storage', storage type, key, location, numel), with a sixth
 * field (view metadata) in the legacy format — and hands its parts to `make`.
 */
export function storageFromPid(
  pid: unknown,
  file: string,
  make: (key: string, dtype: TorchDType, numel: number, view: StorageView | undefined) => TorchStorage,
): TorchStorage {
  const items = pid instanceof PyTuple ? pid.items : undefined;
  if (!items || items[0] !== 'storage') {
    const what = items && typeof items[0] === 'string' ? `"${items[0]}"` : 'not a tuple';
    throw new CheckpointFormatError(`unsupported persistent id (${what}; only tensor storages are read, not pickled modules)`, file);
  }
  const [, type, key, , numel, view] = items;
  if (!(type instanceof PyGlobal) || !(type.value instanceof TorchStorageType)) throw new CheckpointFormatError('persistent id: the storage type is not a torch storage class', file);
  if (typeof key !== 'string' || !/^[\w.-]+$/.test(key)) throw new CheckpointFormatError(`persistent id: bad storage key ${JSON.stringify(key)}`, file);
  if (typeof numel !== 'number' || !Number.isInteger(numel) || numel < 0) throw new CheckpointFormatError(`persistent id of storage ${key}: bad element count ${String(numel)}`, file);
  let storageView: StorageView | undefined;
  if (view instanceof PyTuple) {
    const [, offset, size] = view.items;
    if (typeof offset !== 'number' || typeof size !== 'number' || offset < 0 || size < 0 || offset + size > numel) {
      throw new CheckpointFormatError(`persistent id of storage ${key}: a view outside its ${numel} elements`, file);
    }
    storageView = { offset, numel: size };
  } else if (view !== undefined && view !== null) {
    throw new CheckpointFormatError(`persistent id of storage ${key}: unreadable view metadata`, file);
  }
  return make(key, type.value.dtype, numel, storageView);
}
