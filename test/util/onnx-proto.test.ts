import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../../src/export/graph.ts';
import { decodeModel, encodeModel, int64, metadataOf, modelProto, tensorValues } from '../../src/util/onnx-proto.ts';
import { AttributeType, DataType } from '../../src/util/onnx-schema.ts';
import { randomArray } from '../export/ort-helpers.ts';

/** Minimal protobuf wire reader, written from the encoding spec, to check the bytes independently of protobufjs. */
function readFields(buf: Uint8Array): { field: number; wire: number; value: number | Uint8Array }[] {
  const out: { field: number; wire: number; value: number | Uint8Array }[] = [];
  let p = 0;
  const varint = () => {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = buf[p++];
      v += (b & 0x7f) * mul;
      mul *= 128;
      if (!(b & 0x80)) return v;
    }
  };
  while (p < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) out.push({ field, wire, value: varint() });
    else if (wire === 2) {
      const len = varint();
      out.push({ field, wire, value: buf.subarray(p, p + len) });
      p += len;
    } else if (wire === 5) {
      out.push({ field, wire, value: new DataView(buf.buffer, buf.byteOffset + p, 4).getFloat32(0, true) });
      p += 4;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  return out;
}

function sampleModel() {
  const g = new GraphBuilder('g');
  const x = g.input('features', ['batch', 'time', 4]);
  const w = g.initializer('proj.weight', randomArray(12, 1), [4, 3]);
  const idx = g.initializer('idx', BigInt64Array.from([2n, -1n, 0n]), [3]);
  const counts = g.initializer('counts', Int32Array.from([7, -8, 2147483647]), [3]);
  const flags = g.initializer('flags', Uint8Array.from([1, 0, 1]), [3], DataType.BOOL);
  const y = g.matMul(x, w);
  g.output(g.op('Softmax', [y], { axis: -1 }), 'out', ['batch', 'time', 3]);
  g.output(g.gather(counts, idx), 'picked', [3], DataType.INT32);
  g.output(g.cast(flags, DataType.FLOAT), 'flags_f', [3]);
  return { g, w: randomArray(12, 1) };
}

test('model round-trips: initialisers equal their source arrays, dims, opset, IR version, metadata', () => {
  const { g, w } = sampleModel();
  const bytes = encodeModel(modelProto(g.build(), { metadata: { sample_rate: '16000', layers: 'a,b' }, producerVersion: '0.1.0' }));
  const m = decodeModel(bytes);
  assert.equal(int64(m.irVersion), 8);
  assert.deepEqual(m.opsetImport.map((o) => [o.domain ?? '', int64(o.version)]), [['', 17]]);
  assert.deepEqual(metadataOf(m), { sample_rate: '16000', layers: 'a,b' });
  const byName = new Map(m.graph.initializer.map((t) => [t.name, tensorValues(t)]));
  assert.deepEqual(byName.get('proj.weight'), { data: w, dims: [4, 3] });
  assert.deepEqual(byName.get('idx'), { data: BigInt64Array.from([2n, -1n, 0n]), dims: [3] });
  assert.deepEqual(byName.get('counts'), { data: Int32Array.from([7, -8, 2147483647]), dims: [3] });
  assert.deepEqual(byName.get('flags')?.data, Uint8Array.from([1, 0, 1]));
  const dims = m.graph.input[0].type?.tensorType?.shape?.dim.map((d) => d.dimParam ?? int64(d.dimValue));
  assert.deepEqual(dims, ['batch', 'time', 4]);
  const softmax = m.graph.node.find((n) => n.opType === 'Softmax');
  assert.deepEqual(softmax?.attribute?.map((a) => [a.name, a.type, int64(a.i)]), [['axis', AttributeType.INT, -1]]);
});

test('wire format: ir_version is field 1 = 8, opset_import is field 8 holding version (field 2) = 17', () => {
  const { g } = sampleModel();
  const fields = readFields(encodeModel(modelProto(g.build())));
  assert.deepEqual(fields.find((f) => f.field === 1), { field: 1, wire: 0, value: 8 });
  const opset = fields.find((f) => f.field === 8);
  assert.ok(opset && opset.value instanceof Uint8Array);
  assert.deepEqual(readFields(opset.value).find((f) => f.field === 2)?.value, 17);
  const graph = fields.find((f) => f.field === 7);
  assert.ok(graph && graph.value instanceof Uint8Array);
  const graphFields = readFields(graph.value);
  // initializer is GraphProto field 5; the first one's raw_data (field 9) holds the weights little-endian.
  const init = graphFields.find((f) => f.field === 5)?.value as Uint8Array;
  const raw = readFields(init).find((f) => f.field === 9)?.value as Uint8Array;
  assert.deepEqual(new Float32Array(Uint8Array.from(raw).buffer), randomArray(12, 1));
});

test('decoder reads typed *_data fields as well as raw_data', () => {
  assert.deepEqual(tensorValues({ dims: [2], dataType: DataType.FLOAT, floatData: [1.5, -2] }).data, Float32Array.from([1.5, -2]));
  assert.deepEqual(tensorValues({ dims: [2], dataType: DataType.INT64, int64Data: [3, -4] }).data, BigInt64Array.from([3n, -4n]));
  assert.throws(() => tensorValues({ dims: [3], dataType: DataType.FLOAT, floatData: [1] }), /1 values for shape \[3\]/);
});

test('onnxruntime loads the file with dynamic axes and computes with it', async () => {
  const { g, w } = sampleModel();
  const session = await ort.InferenceSession.create(encodeModel(modelProto(g.build())));
  assert.deepEqual(session.inputMetadata[0], { name: 'features', isTensor: true, type: 'float32', shape: ['batch', 'time', 4] });
  const x = randomArray(2 * 5 * 4, 2);
  const res = await session.run({ features: new ort.Tensor('float32', x, [2, 5, 4]) });
  assert.deepEqual(res.out.dims, [2, 5, 3]);
  // Row 0 by hand: softmax(x[0] @ w).
  const logits = [0, 1, 2].map((j) => [0, 1, 2, 3].reduce((s, k) => s + x[k] * w[k * 3 + j], 0));
  const z = logits.map(Math.exp);
  const sum = z.reduce((a, b) => a + b, 0);
  const got = Array.from(res.out.data as Float32Array).slice(0, 3);
  z.forEach((v, j) => assert.ok(Math.abs(v / sum - got[j]) < 1e-6));
  assert.deepEqual(Array.from(res.picked.data as Int32Array), [2147483647, 2147483647, 7]);
  assert.deepEqual(Array.from(res.flags_f.data as Float32Array), [1, 0, 1]);
  await session.release();
});

test('encoder refuses a tensor whose data does not fill its shape', () => {
  const g = new GraphBuilder();
  assert.throws(() => g.initializer('w', new Float32Array(5), [2, 3]), /tensor "w": 5 values for shape \[2,3\]/);
});
