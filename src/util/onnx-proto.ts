import protobuf from 'protobufjs';
import { ModelProtoType, StringStringEntryType, DataType, type GraphProto, type ModelProto, type TensorProto, type Int64 } from './onnx-schema.ts';

/**
 * Encoding and decoding of ONNX model files, and conversion between typed arrays and TensorProto.
 * Tensors are written as little-endian `raw_data` (what onnx.numpy_helper writes); the decoder also
 * reads the typed `*_data` fields that other writers use.
 */

export type TensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array;

/** Serialises a model to the bytes of a `.onnx` file. */
export function encodeModel(model: ModelProto): Uint8Array {
  const err = ModelProtoType.verify(model);
  if (err) throw new Error(`invalid ONNX model: ${err}`);
  return ModelProtoType.encode(ModelProtoType.fromObject(model)).finish();
}

/** Parses the bytes of a `.onnx` file. int64 fields come back as plain numbers. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  const msg = ModelProtoType.decode(bytes);
  return ModelProtoType.toObject(msg, { longs: Number, arrays: true, defaults: false }) as ModelProto;
}

/** An int64 field as a JS number (Long objects from protobufjs, or numbers). */
export function int64(v: Int64 | undefined): number {
  if (v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

function dataTypeOf(data: TensorData): number {
  if (data instanceof Float32Array) return DataType.FLOAT;
  if (data instanceof Float64Array) return DataType.DOUBLE;
  if (data instanceof Int32Array) return DataType.INT32;
  if (data instanceof BigInt64Array) return DataType.INT64;
  if (data instanceof Int8Array) return DataType.INT8;
  return DataType.UINT8;
}

/** A named TensorProto holding a copy of `data` with shape `dims`. */
export function tensorProto(name: string, data: TensorData, dims: number[], dataType = dataTypeOf(data)): TensorProto {
  const size = dims.reduce((a, b) => a * b, 1);
  if (size !== data.length) throw new Error(`tensor "${name}": ${data.length} values for shape [${dims}]`);
  if (dataType === DataType.BOOL && !(data instanceof Uint8Array)) throw new Error(`tensor "${name}": BOOL data must be a Uint8Array`);
  // Typed arrays are little-endian on every platform Node supports; copy so the proto owns its bytes.
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  return { name, dims, dataType, rawData: raw };
}

function copyBytes(raw: Uint8Array): ArrayBuffer {
  const buf = new ArrayBuffer(raw.byteLength);
  new Uint8Array(buf).set(raw);
  return buf;
}

/** The values of a TensorProto as a typed array of its element type, and its shape. */
export function tensorValues(t: TensorProto): { data: TensorData; dims: number[] } {
  const dims = (t.dims ?? []).map(int64);
  const raw = t.rawData && t.rawData.byteLength > 0 ? copyBytes(t.rawData) : undefined;
  let data: TensorData;
  switch (t.dataType) {
    case DataType.FLOAT:
      data = raw ? new Float32Array(raw) : Float32Array.from(t.floatData ?? []);
      break;
    case DataType.DOUBLE:
      data = raw ? new Float64Array(raw) : Float64Array.from(t.doubleData ?? []);
      break;
    case DataType.INT32:
      data = raw ? new Int32Array(raw) : Int32Array.from(t.int32Data ?? []);
      break;
    case DataType.INT64:
      data = raw ? new BigInt64Array(raw) : BigInt64Array.from((t.int64Data ?? []).map((v) => BigInt(int64(v))));
      break;
    case DataType.INT8:
      data = raw ? new Int8Array(raw) : Int8Array.from(t.int32Data ?? []);
      break;
    case DataType.UINT8:
    case DataType.BOOL:
      data = raw ? new Uint8Array(raw) : Uint8Array.from(t.int32Data ?? []);
      break;
    default:
      throw new Error(`tensor "${t.name ?? ''}": unsupported data type ${t.dataType}`);
  }
  const size = dims.reduce((a, b) => a * b, 1);
  if (data.length !== size) throw new Error(`tensor "${t.name ?? ''}": ${data.length} values for shape [${dims}]`);
  return { data, dims };
}

/** The model's metadata_props as a plain object. */
export function metadataOf(model: ModelProto): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { key, value } of model.metadataProps ?? []) out[key] = value;
  return out;
}

/** The opset and IR version every exported model declares (onnx 1.12+, onnxruntime, TensorRT load it). */
export const OPSET = 17;
export const IR_VERSION = 8;

export interface ModelOptions {
  /** metadata_props, key -> value. */
  metadata?: Record<string, string>;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
}

/** Wraps a graph into a model: opset 17 (default domain), IR version 8, metadata_props. */
export function modelProto(graph: GraphProto, opts: ModelOptions = {}): ModelProto {
  return {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: opts.producerName ?? 'speech-ssl',
    producerVersion: opts.producerVersion ?? '',
    docString: opts.docString,
    graph,
    metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
}

/**
 * Only the metadata_props of a model file, read without decoding the graph (cheap on large files):
 * top-level field 14 of ModelProto, each a StringStringEntryProto.
 */
export function readMetadataProps(bytes: Uint8Array): Record<string, string> {
  const reader = protobuf.Reader.create(bytes);
  const out: Record<string, string> = {};
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 14 && (tag & 7) === 2) {
      const entry = StringStringEntryType.decode(reader, reader.uint32()) as unknown as { key: string; value: string };
      out[entry.key] = entry.value;
    } else {
      reader.skipType(tag & 7);
    }
  }
  return out;
}
