import { CheckpointFormatError } from './format-error.ts';
import { DTYPE_BYTES, type TorchDType } from './torch-tensor.ts';

/**
 * The header of a safetensors file (huggingface/safetensors): 8 bytes little-endian u64 N, then N bytes
 * of UTF-8 JSON {"<name>": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}},
 * offsets relative to the end of the header. Every entry is checked against the file's size here, so
 * the tensors can be read later by offset without surprises.
 */
export const SAFETENSORS_DTYPES: Readonly<Record<string, TorchDType>> = {
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  F64: 'float64',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};

/** The safetensors spec's cap on the header, also our guard against a hostile size field. */
const MAX_HEADER = 100_000_000;

export interface SafetensorsEntry {
  name: string;
  dtype: TorchDType;
  /** The file's own dtype code (F32, BF16, ...). */
  code: string;
  shape: number[];
  /** Absolute byte offsets in the file. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** Bytes before the data: 8 + N. */
  dataStart: number;
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
}

/** The header size field (the first 8 bytes); errors name `file`. */
export function safetensorsHeaderLength(first8: Uint8Array, fileSize: number, file: string): number {
  if (fileSize < 8 || first8.length < 8) throw new CheckpointFormatError('truncated safetensors file (no header size)', file);
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER)) throw new CheckpointFormatError(`not a safetensors file (header size ${n} bytes)`, file);
  if (8 + Number(n) > fileSize) throw new CheckpointFormatError(`truncated safetensors file: header of ${n} bytes, file of ${fileSize}`, file);
  return Number(n);
}

/** Parses and checks the JSON header; `fileSize` bounds every tensor's data. */
export function parseSafetensorsHeader(json: Uint8Array, fileSize: number, file: string): SafetensorsHeader {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(json));
  } catch (e) {
    throw new CheckpointFormatError(`unreadable safetensors header: ${(e as Error).message}`, file);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new CheckpointFormatError('safetensors header is not a JSON object', file);
  const dataStart = 8 + json.length;
  const entries: SafetensorsEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (value && typeof value === 'object') metadata = value as Record<string, string>;
      continue;
    }
    const e = (value ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = typeof e.dtype === 'string' ? SAFETENSORS_DTYPES[e.dtype] : undefined;
    if (!dtype) throw new CheckpointFormatError(`tensor "${name}": dtype ${String(e.dtype)} (read: ${Object.keys(SAFETENSORS_DTYPES).join(', ')})`, file);
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new CheckpointFormatError(`tensor "${name}": bad shape ${JSON.stringify(shape)}`, file);
    const offsets = e.data_offsets;
    const [begin, end] = Array.isArray(offsets) ? offsets : [NaN, NaN];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (!(Number.isInteger(begin) && Number.isInteger(end) && begin >= 0 && end - begin === count * DTYPE_BYTES[dtype] && dataStart + end <= fileSize)) {
      throw new CheckpointFormatError(`tensor "${name}": offsets [${begin}, ${end}] do not fit ${e.dtype} shape [${shape}] in a file of ${fileSize} bytes`, file);
    }
    entries.push({ name, dtype, code: e.dtype as string, shape: shape as number[], begin: dataStart + begin, end: dataStart + end });
  }
  return { dataStart, entries, metadata };
}
