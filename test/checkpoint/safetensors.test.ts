import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSafetensors, encodeSafetensors, readSafetensors, writeSafetensors } from '../../src/checkpoint/safetensors.ts';

test('safetensors: the layout byte by byte (u64 header size, padded JSON header, little-endian float32 data)', () => {
  const tensors = new Map([
    ['a', { shape: [2], data: Float32Array.from([1, -2]) }],
    ['b', { shape: [1, 1], data: Float32Array.from([0.5]) }],
  ]);
  const bytes = encodeSafetensors(tensors, { k: 'v' });
  const view = new DataView(bytes.buffer);
  const n = Number(view.getBigUint64(0, true));
  assert.equal(n % 8, 0, 'header padded to 8 bytes');
  const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  assert.match(header, / *$/);
  assert.deepEqual(JSON.parse(header), {
    __metadata__: { k: 'v' },
    a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
    b: { dtype: 'F32', shape: [1, 1], data_offsets: [8, 12] },
  });
  assert.equal(bytes.length, 8 + n + 12);
  // 1.0 = 0x3f800000, -2.0 = 0xc0000000, 0.5 = 0x3f000000, little-endian.
  assert.deepEqual(Array.from(bytes.subarray(8 + n)), [0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 0, 0, 0, 0x3f]);
  const back = decodeSafetensors(bytes);
  assert.deepEqual(back.metadata, { k: 'v' });
  assert.deepEqual(Array.from(back.tensors.get('a')!.data), [1, -2]);
  assert.deepEqual(back.tensors.get('b')!.shape, [1, 1]);
});

test('safetensors: files round-trip; truncated or foreign files are refused naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'st-'));
  const f = join(dir, 'w.safetensors');
  const big = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 1e-3);
  writeSafetensors(f, new Map([['x.weight', { shape: [10, 100], data: big }]]));
  assert.deepEqual(readSafetensors(f).tensors.get('x.weight')!.data, big);
  const bytes = encodeSafetensors(new Map([['x', { shape: [4], data: new Float32Array(4) }]]));
  writeFileSync(join(dir, 'cut.safetensors'), bytes.subarray(0, bytes.length - 3));
  assert.throws(() => readSafetensors(join(dir, 'cut.safetensors')), /cut\.safetensors: tensor "x": offsets \[0, 16\] do not fit/);
  const f16 = new TextEncoder().encode(JSON.stringify({ h: { dtype: 'F16', shape: [1], data_offsets: [0, 2] } }));
  const withF16 = new Uint8Array(8 + f16.length + 2);
  new DataView(withF16.buffer).setBigUint64(0, BigInt(f16.length), true);
  withF16.set(f16, 8);
  assert.throws(() => decodeSafetensors(withF16, 'half.safetensors'), /half\.safetensors: tensor "h": dtype F16/);
  assert.throws(() => decodeSafetensors(new Uint8Array(3), 'tiny'), /tiny: truncated safetensors file/);
  assert.throws(() => encodeSafetensors(new Map([['x', { shape: [3], data: new Float32Array(2) }]])), /"x" has shape \[3\]/);
});
