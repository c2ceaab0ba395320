import protobuf from 'protobufjs';

/**
 * The ONNX protobuf messages this project writes and reads, defined here from the ONNX IR spec
 * (onnx/onnx.proto, IR version 8): field numbers and types as the spec gives them, field names in
 * camelCase for the TypeScript side. Only what an inference graph needs is declared (no training info,
 * functions, sparse tensors or sequence/map types); a decoder skips undeclared fields.
 */

/** TensorProto.DataType values. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  DOUBLE: 11,
} as const;
export type DataTypeId = (typeof DataType)[keyof typeof DataType];

/** AttributeProto.AttributeType values. */
export const AttributeType = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
} as const;

/** int64 fields decode as Long objects (protobufjs with the `long` package) and encode from numbers. */
export type Int64 = number | { toNumber(): number };

export interface OperatorSetIdProto {
  domain?: string;
  version: Int64;
}

export interface StringStringEntryProto {
  key: string;
  value: string;
}

export interface TensorProto {
  dims: Int64[];
  dataType: number;
  name?: string;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: Int64[];
  doubleData?: number[];
  rawData?: Uint8Array;
  docString?: string;
}

export interface Dimension {
  dimValue?: Int64;
  dimParam?: string;
}

export interface TensorShapeProto {
  dim: Dimension[];
}

export interface TypeProto {
  tensorType?: { elemType: number; shape?: TensorShapeProto };
}

export interface ValueInfoProto {
  name: string;
  type?: TypeProto;
  docString?: string;
}

export interface AttributeProto {
  name: string;
  type: number;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  floats?: number[];
  ints?: Int64[];
  strings?: Uint8Array[];
}

export interface NodeProto {
  input: string[];
  output: string[];
  name?: string;
  opType: string;
  domain?: string;
  attribute?: AttributeProto[];
  docString?: string;
}

export interface GraphProto {
  node: NodeProto[];
  name: string;
  initializer: TensorProto[];
  docString?: string;
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  valueInfo?: ValueInfoProto[];
}

export interface ModelProto {
  irVersion: Int64;
  opsetImport: OperatorSetIdProto[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: Int64;
  docString?: string;
  graph: GraphProto;
  metadataProps?: StringStringEntryProto[];
}

type FieldSpec = [id: number, type: string, rule?: 'repeated', packed?: boolean];

function message(fields: Record<string, FieldSpec>, nested?: Record<string, protobuf.INamespace & object>): object {
  const out: Record<string, object> = {};
  for (const [name, [id, type, rule, packed]] of Object.entries(fields)) {
    const f: Record<string, unknown> = { id, type };
    if (rule) f.rule = rule;
    if (rule) f.options = { packed: packed ?? false };
    out[name] = f;
  }
  return nested ? { fields: out, nested } : { fields: out };
}

const descriptor = {
  nested: {
    onnx: {
      nested: {
        OperatorSetIdProto: message({ domain: [1, 'string'], version: [2, 'int64'] }),
        StringStringEntryProto: message({ key: [1, 'string'], value: [2, 'string'] }),
        TensorProto: message({
          dims: [1, 'int64', 'repeated'],
          dataType: [2, 'int32'],
          floatData: [4, 'float', 'repeated', true],
          int32Data: [5, 'int32', 'repeated', true],
          stringData: [6, 'bytes', 'repeated'],
          int64Data: [7, 'int64', 'repeated', true],
          name: [8, 'string'],
          rawData: [9, 'bytes'],
          doubleData: [10, 'double', 'repeated', true],
          uint64Data: [11, 'uint64', 'repeated', true],
          docString: [12, 'string'],
          externalData: [13, 'StringStringEntryProto', 'repeated'],
          dataLocation: [14, 'int32'],
        }),
        TensorShapeProto: message(
          { dim: [1, 'Dimension', 'repeated'] },
          { Dimension: message({ dimValue: [1, 'int64'], dimParam: [2, 'string'], denotation: [3, 'string'] }) },
        ),
        TypeProto: message(
          { tensorType: [1, 'Tensor'], denotation: [6, 'string'] },
          { Tensor: message({ elemType: [1, 'int32'], shape: [2, 'TensorShapeProto'] }) },
        ),
        ValueInfoProto: message({ name: [1, 'string'], type: [2, 'TypeProto'], docString: [3, 'string'] }),
        AttributeProto: message({
          name: [1, 'string'],
          f: [2, 'float'],
          i: [3, 'int64'],
          s: [4, 'bytes'],
          t: [5, 'TensorProto'],
          g: [6, 'GraphProto'],
          floats: [7, 'float', 'repeated'],
          ints: [8, 'int64', 'repeated'],
          strings: [9, 'bytes', 'repeated'],
          tensors: [10, 'TensorProto', 'repeated'],
          graphs: [11, 'GraphProto', 'repeated'],
          docString: [13, 'string'],
          type: [20, 'int32'],
          refAttrName: [21, 'string'],
        }),
        NodeProto: message({
          input: [1, 'string', 'repeated'],
          output: [2, 'string', 'repeated'],
          name: [3, 'string'],
          opType: [4, 'string'],
          attribute: [5, 'AttributeProto', 'repeated'],
          docString: [6, 'string'],
          domain: [7, 'string'],
        }),
        GraphProto: message({
          node: [1, 'NodeProto', 'repeated'],
          name: [2, 'string'],
          initializer: [5, 'TensorProto', 'repeated'],
          docString: [10, 'string'],
          input: [11, 'ValueInfoProto', 'repeated'],
          output: [12, 'ValueInfoProto', 'repeated'],
          valueInfo: [13, 'ValueInfoProto', 'repeated'],
        }),
        ModelProto: message({
          irVersion: [1, 'int64'],
          producerName: [2, 'string'],
          producerVersion: [3, 'string'],
          domain: [4, 'string'],
          modelVersion: [5, 'int64'],
          docString: [6, 'string'],
          graph: [7, 'GraphProto'],
          opsetImport: [8, 'OperatorSetIdProto', 'repeated'],
          metadataProps: [14, 'StringStringEntryProto', 'repeated'],
        }),
      },
    },
  },
};

const root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace);
/** The reflected ModelProto message type (encode/decode). */
export const ModelProtoType = root.lookupType('onnx.ModelProto');
export const StringStringEntryType = root.lookupType('onnx.StringStringEntryProto');
