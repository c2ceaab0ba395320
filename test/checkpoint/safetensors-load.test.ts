import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSafetensorsFile, loadSafetensorsStateDict } from '../../src/checkpoint/safetensors-load.ts';
import { loadStateDict } from '../../src/checkpoint/torch-load.ts';
import { CheckpointFormatError } from '../../src/checkpoint/format-error.ts';
import { encodeSafetensors } from '../../src/checkpoint/safetensors.ts';

const DIR = fileURLToPath(new URL('../fixtures/torch/', import.meta.url));
const SHARDED = join(DIR, 'sharded');
interface Expected {
  dtype: string;
  shape: number[];
  values: (number | string)[];
}
const EXPECTED = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')).files.sharded as Record<string, Expected>;

test('safetensors shards (written by hand in Python): F32, F16, BF16, F64, I64, BOOL read exactly through the index', () => {
  for (const source of [SHARDED, join(SHARDED, 'model.safetensors.index.json')]) {
    const tensors = loadSafetensorsStateDict(source);
    assert.deepEqual(Object.keys(tensors).sort(), Object.keys(EXPECTED).sort());
    for (const [name, e] of Object.entries(EXPECTED)) {
      const t = tensors[name];
      assert.equal(t.dtype, e.dtype, name);
      assert.deepEqual(t.shape, e.shape, name);
      if (e.dtype === 'int64') assert.deepEqual(Array.from(t.toTypedArray() as BigInt64Array, String), e.values, name);
      else if (e.dtype === 'float64') assert.deepEqual(Array.from(t.toTypedArray() as Float64Array), e.values, name);
      else if (e.dtype === 'bool') assert.deepEqual(Array.from(t.toTypedArray() as Uint8Array), e.values, name);
      else assert.deepEqual(Array.from(t.toFloat32()), e.values, name);
    }
  }
  const single = loadSafetensorsFile(join(SHARDED, 'model-00001-of-00002.safetensors'));
  assert.deepEqual(single.metadata, { format: 'pt' });
  assert.deepEqual(Object.keys(single.tensors), ['encoder.w', 'encoder.h', 'encoder.b']);
});

test('safetensors written by this project read back through the lazy loader, alone and in a folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'st-lazy-'));
  const data = Float32Array.from({ length: 12 }, (_, i) => i / 3);
  writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(new Map([['w', { shape: [3, 4], data }]])));
  for (const source of [dir, join(dir, 'model.safetensors')]) {
    const t = loadSafetensorsStateDict(source).w;
    assert.deepEqual(t.shape, [3, 4]);
    assert.deepEqual(t.toFloat32(), data);
  }
  assert.deepEqual(loadStateDict(dir).tensors.w.toFloat32(), data);
  // A safetensors file under another name is recognised by its bytes.
  copyFileSync(join(dir, 'model.safetensors'), join(dir, 'weights.bin'));
  assert.deepEqual(loadStateDict(join(dir, 'weights.bin')).tensors.w.toFloat32(), data);
});

function refuses(run: () => unknown, file: string, pattern: RegExp): void {
  assert.throws(run, (e: unknown) => {
    assert.ok(e instanceof CheckpointFormatError, String(e));
    assert.ok(e.message.startsWith(file), e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

test('safetensors refusals: truncated header or data, a bad dtype, an index pointing outside its folder or at a missing tensor', () => {
  const dir = mkdtempSync(join(tmpdir(), 'st-bad-'));
  const good = readFileSync(join(SHARDED, 'model-00001-of-00002.safetensors'));
  const cut = join(dir, 'cut.safetensors');
  writeFileSync(cut, good.subarray(0, good.length - 2));
  refuses(() => loadSafetensorsFile(cut), cut, /tensor "encoder\.b": offsets \[\d+, \d+\] do not fit BF16 shape \[4\]/);
  const headerCut = join(dir, 'header-cut.safetensors');
  writeFileSync(headerCut, good.subarray(0, 20));
  refuses(() => loadSafetensorsFile(headerCut), headerCut, /truncated safetensors file: header of \d+ bytes, file of 20/);
  const huge = join(dir, 'huge.safetensors');
  writeFileSync(huge, Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x7b]));
  refuses(() => loadSafetensorsFile(huge), huge, /not a safetensors file \(header size \d+ bytes\)/);
  const badDtype = join(dir, 'dtype.safetensors');
  const header = new TextEncoder().encode(JSON.stringify({ x: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }));
  const bytes = new Uint8Array(8 + header.length + 1);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
  bytes.set(header, 8);
  writeFileSync(badDtype, bytes);
  refuses(() => loadSafetensorsFile(badDtype), badDtype, /tensor "x": dtype F8_E4M3/);

  const escape = mkdtempSync(join(tmpdir(), 'st-index-'));
  const index = join(escape, 'model.safetensors.index.json');
  writeFileSync(index, JSON.stringify({ weight_map: { w: '../model.safetensors' } }));
  refuses(() => loadSafetensorsStateDict(escape), index, /weight_map\["w"\] = "\.\.\/model\.safetensors" is not a file name beside the index/);
  copyFileSync(join(SHARDED, 'model-00001-of-00002.safetensors'), join(escape, 'a.safetensors'));
  writeFileSync(index, JSON.stringify({ weight_map: { 'encoder.w': 'a.safetensors', 'head.w': 'a.safetensors' } }));
  refuses(() => loadSafetensorsStateDict(escape), index, /tensors the index names are not in their shards: head\.w \(in a\.safetensors\)/);
  writeFileSync(index, JSON.stringify({ weight_map: { 'encoder.w': 'gone.safetensors' } }));
  refuses(() => loadSafetensorsStateDict(escape), index, /shard gone\.safetensors named by the index is missing/);
  writeFileSync(index, '{"weight_map": ');
  refuses(() => loadSafetensorsStateDict(escape), index, /unreadable shard index/);
});
