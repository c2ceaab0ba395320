/**
 * Issue #15, item 5: .npy files in fortran order. readNpy (whole arrays: labels, centroids, embeddings)
 * transposes them into C order; the streaming readers (feature sets for kmeans and training) refuse them
 * naming the file, instead of reading columns as rows. Truncated and empty files are refused too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeNpy, readNpy, readNpyHeader } from '../../src/util/npy.ts';
import { openFeatureSet } from '../../src/cluster/feature-set.ts';
import { runCli } from '../cli/cli-helpers.ts';
import { encodeNpy } from '../../src/util/npy.ts';
import { fortranNpy, truncatedNpy } from './corpus.ts';

test('readNpy reads fortran_order arrays (2-D and 3-D) back in C order', () => {
  const a = decodeNpy(fortranNpy([[1, 2, 3], [4, 5, 6]]), 'f.npy');
  assert.deepEqual(a.shape, [2, 3]);
  assert.deepEqual(Array.from(a.data as Float32Array), [1, 2, 3, 4, 5, 6]);
  // 3-D [2, 2, 3]: element (i, j, k) = 100i + 10j + k, stored column-major.
  const shape = [2, 2, 3];
  const col = new Float32Array(12);
  for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) for (let k = 0; k < 3; k++) col[i + 2 * (j + 2 * k)] = 100 * i + 10 * j + k;
  const bytes = encodeNpy(col, shape);
  const hl = new DataView(bytes.buffer).getUint16(8, true);
  const text = new TextDecoder('latin1').decode(bytes.subarray(10, 10 + hl)).replace("'fortran_order': False", "'fortran_order': True ");
  for (let i = 0; i < text.length; i++) bytes[10 + i] = text.charCodeAt(i);
  const b = decodeNpy(bytes, 'g.npy');
  const want: number[] = [];
  for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) for (let k = 0; k < 3; k++) want.push(100 * i + 10 * j + k);
  assert.deepEqual(Array.from(b.data as Float32Array), want);
});

test('streaming readers refuse fortran_order, truncated and empty .npy files, naming them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'npy-order-'));
  const f = join(dir, 'fortran.npy');
  writeFileSync(f, fortranNpy([[1, 2, 3], [4, 5, 6], [7, 8, 9], [1, 1, 1]]));
  assert.throws(() => readNpyHeader(f), new RegExp(`${f}: fortran_order \\(column-major\\) array of shape \\[4,3\\]: .*np\\.ascontiguousarray`));
  assert.throws(() => openFeatureSet(f), /fortran_order/);
  const t = join(dir, 'truncated.npy');
  writeFileSync(t, truncatedNpy(20, 4));
  assert.throws(() => readNpyHeader(t), new RegExp(`${t}: truncated data: the header declares \\[20,4\\] <f4`));
  const e = join(dir, 'empty.npy');
  writeFileSync(e, new Uint8Array(0));
  assert.throws(() => readNpyHeader(e), new RegExp(`${e}: empty file, not a .npy`));
  assert.deepEqual(Array.from(readNpy(f).data as Float32Array), [1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 1, 1]);

  // kmeans on a fortran-order matrix: exit 2 with the reason, not wrong centroids with exit 0.
  const r = await runCli(['kmeans', f, '--k', '2', '--out', join(dir, 'km')], dir);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /fortran_order/);
});
