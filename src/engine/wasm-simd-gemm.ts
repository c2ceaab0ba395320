/**
 * A batched matrix product C[g] = A[g] @ B[g] as a small WebAssembly SIMD module assembled here, run
 * on the wasm backend's own heap (it imports the backend's memory, so operands and results are the
 * tensors' buffers: no copy). It does the whole batch in one call, which is what attention needs:
 * the backend's XNNPACK product costs ~0.2 ms per call to set up (operator creation, weight packing)
 * plus a thread-pool wake-up, paid once per head and batch item (32 times per attention product in
 * hubert-tiny) — more than the arithmetic on a busy machine. This kernel runs on the calling thread.
 *
 * Layout: row-major, contiguous rows; A [M, K], B [K, N], C [M, N] per batch item, items `strideA`,
 * `strideB`, `strideC` bytes apart (0 broadcasts an operand). Register tile: 4 rows x 8 columns
 * (eight f32x4 accumulators); rows beyond a multiple of 4 and columns beyond a multiple of 8 are
 * finished by a scalar loop. Sums run over k in order, as a plain dot product.
 */

import { perMemory } from './wasm-modules.ts';

// --- a minimal WebAssembly binary writer (only what the two functions below use) ---

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function str(s: string): number[] {
  return [...uleb(s.length), ...Buffer.from(s, 'utf8')];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

/** Instruction helpers. */
const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (l: number) => [0x0c, ...uleb(l)],
  brIf: (l: number) => [0x0d, ...uleb(l)],
  call: (f: number) => [0x10, ...uleb(f)],
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32: (v: number) => [0x41, ...sleb(v)],
  add: [0x6a],
  sub: [0x6b],
  mul: [0x6c],
  gtS: [0x4a],
  geS: [0x4e],
  eqz: [0x45],
  f32Load: (offset = 0) => [0x2a, 2, ...uleb(offset)],
  f32Store: (offset = 0) => [0x38, 2, ...uleb(offset)],
  f32Const0: [0x43, 0, 0, 0, 0],
  f32Add: [0x92],
  f32Mul: [0x94],
  v128Load: (offset = 0) => [0xfd, ...uleb(0x00), 2, ...uleb(offset)],
  v128Store: (offset = 0) => [0xfd, ...uleb(0x0b), 2, ...uleb(offset)],
  v128Splat32: (offset = 0) => [0xfd, ...uleb(0x09), 2, ...uleb(offset)],
  v128Zero: [0xfd, ...uleb(0x0c), ...new Array(16).fill(0)],
  f32x4Add: [0xfd, ...uleb(0xe4)],
  f32x4Mul: [0xfd, ...uleb(0xe6)],
};

/** local += delta (i32), delta from a local. */
const addTo = (dst: number, src: number) => [...op.get(dst), ...op.get(src), ...op.add, ...op.set(dst)];
const addConst = (dst: number, c: number) => [...op.get(dst), ...op.i32(c), ...op.add, ...op.set(dst)];

/**
 * scalar(a, b, c, K, N, r0, r1, c0): C[i][j] = sum_k A[i][k] B[k][j] for rows r0 <= i < r1 and
 * columns c0 <= j < N of one batch item (a, b, c byte addresses of its A, B, C).
 */
function scalarFunction(): number[] {
  const [a, b, c, K, N, r0, r1, c0] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [i, j, k, pa, pb, s] = [8, 9, 10, 11, 12, 13];
  const body = [
    ...op.get(r0), ...op.set(i),
    ...op.block, ...op.loop,
    ...op.get(i), ...op.get(r1), ...op.geS, ...op.brIf(1),
    ...op.get(c0), ...op.set(j),
    ...op.block, ...op.loop,
    ...op.get(j), ...op.get(N), ...op.geS, ...op.brIf(1),
    ...op.f32Const0, ...op.set(s),
    // pa = a + 4*i*K ; pb = b + 4*j
    ...op.get(a), ...op.get(i), ...op.get(K), ...op.mul, ...op.i32(4), ...op.mul, ...op.add, ...op.set(pa),
    ...op.get(b), ...op.get(j), ...op.i32(4), ...op.mul, ...op.add, ...op.set(pb),
    ...op.get(K), ...op.set(k),
    ...op.block, ...op.loop,
    ...op.get(k), ...op.eqz, ...op.brIf(1),
    ...op.get(s), ...op.get(pa), ...op.f32Load(), ...op.get(pb), ...op.f32Load(), ...op.f32Mul, ...op.f32Add, ...op.set(s),
    ...addConst(pa, 4),
    ...op.get(pb), ...op.get(N), ...op.i32(4), ...op.mul, ...op.add, ...op.set(pb),
    ...addConst(k, -1),
    ...op.br(0), ...op.end, ...op.end,
    // C[i][j] = s
    ...op.get(c), ...op.get(i), ...op.get(N), ...op.mul, ...op.get(j), ...op.add, ...op.i32(4), ...op.mul, ...op.add,
    ...op.get(s), ...op.f32Store(),
    ...addConst(j, 1),
    ...op.br(0), ...op.end, ...op.end,
    ...addConst(i, 1),
    ...op.br(0), ...op.end, ...op.end,
    ...op.end,
  ];
  const locals = vec([[...uleb(5), I32], [...uleb(1), F32]]);
  return [...locals, ...body];
}

/** bmm(a, b, c, M, K, N, batch, strideA, strideB, strideC): the batched product (see the file comment). */
function batchedFunction(scalarIndex: number): number[] {
  const [a, b, c, M, K, N, batch, sA, sB, sC] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [g, i, j, k, pa, pb, pc, rowA, rowB, t] = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19];
  const acc = [20, 21, 22, 23, 24, 25, 26, 27];
  const [bv0, bv1, av] = [28, 29, 30];
  const rowFma = (r: number) => [
    ...(r === 0 ? op.get(pa) : [...op.get(t), ...op.get(rowA), ...op.add, ...op.tee(t)]),
    ...op.v128Splat32(), ...op.set(av),
    ...op.get(acc[2 * r]), ...op.get(av), ...op.get(bv0), ...op.f32x4Mul, ...op.f32x4Add, ...op.set(acc[2 * r]),
    ...op.get(acc[2 * r + 1]), ...op.get(av), ...op.get(bv1), ...op.f32x4Mul, ...op.f32x4Add, ...op.set(acc[2 * r + 1]),
  ];
  const rowStore = (r: number) => [
    ...op.get(pc), ...op.get(acc[2 * r]), ...op.v128Store(),
    ...op.get(pc), ...op.get(acc[2 * r + 1]), ...op.v128Store(16),
    ...(r < 3 ? addTo(pc, rowB) : []),
  ];
  const body = [
    ...op.get(K), ...op.i32(4), ...op.mul, ...op.set(rowA),
    ...op.get(N), ...op.i32(4), ...op.mul, ...op.set(rowB),
    ...op.i32(0), ...op.set(g),
    ...op.block, ...op.loop, // batch items
    ...op.get(g), ...op.get(batch), ...op.geS, ...op.brIf(1),
    ...op.i32(0), ...op.set(i),
    ...op.block, ...op.loop, // row tiles
    ...op.get(i), ...op.i32(4), ...op.add, ...op.get(M), ...op.gtS, ...op.brIf(1),
    ...op.i32(0), ...op.set(j),
    ...op.block, ...op.loop, // column tiles
    ...op.get(j), ...op.i32(8), ...op.add, ...op.get(N), ...op.gtS, ...op.brIf(1),
    ...acc.flatMap((x) => [...op.v128Zero, ...op.set(x)]),
    ...op.get(a), ...op.get(i), ...op.get(rowA), ...op.mul, ...op.add, ...op.set(pa),
    ...op.get(b), ...op.get(j), ...op.i32(4), ...op.mul, ...op.add, ...op.set(pb),
    ...op.get(K), ...op.set(k),
    ...op.loop, // k (K >= 1, checked by the caller)
    ...op.get(pb), ...op.v128Load(), ...op.set(bv0),
    ...op.get(pb), ...op.v128Load(16), ...op.set(bv1),
    ...op.get(pa), ...op.set(t),
    ...rowFma(0), ...rowFma(1), ...rowFma(2), ...rowFma(3),
    ...addConst(pa, 4),
    ...addTo(pb, rowB),
    ...op.get(k), ...op.i32(1), ...op.sub, ...op.tee(k), ...op.brIf(0),
    ...op.end,
    ...op.get(c), ...op.get(i), ...op.get(rowB), ...op.mul, ...op.add, ...op.get(j), ...op.i32(4), ...op.mul, ...op.add, ...op.set(pc),
    ...rowStore(0), ...rowStore(1), ...rowStore(2), ...rowStore(3),
    ...addConst(j, 8),
    ...op.br(0), ...op.end, ...op.end,
    // columns j..N of rows i..i+4
    ...op.get(a), ...op.get(b), ...op.get(c), ...op.get(K), ...op.get(N), ...op.get(i), ...op.get(i), ...op.i32(4), ...op.add, ...op.get(j), ...op.call(scalarIndex),
    ...addConst(i, 4),
    ...op.br(0), ...op.end, ...op.end,
    // rows i..M, every column
    ...op.get(a), ...op.get(b), ...op.get(c), ...op.get(K), ...op.get(N), ...op.get(i), ...op.get(M), ...op.i32(0), ...op.call(scalarIndex),
    ...addTo(a, sA), ...addTo(b, sB), ...addTo(c, sC),
    ...addConst(g, 1),
    ...op.br(0), ...op.end, ...op.end,
    ...op.end,
  ];
  const locals = vec([[...uleb(10), I32], [...uleb(8 + 3), V128]]);
  return [...locals, ...body];
}

/** The module's bytes; `shared` must match the memory it will import (the threaded build's is shared). */
export function gemmModuleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  const typeBatched = [0x60, ...vec(new Array(10).fill([I32])), 0];
  const typeScalar = [0x60, ...vec(new Array(8).fill([I32])), 0];
  const memLimits = shared ? [0x03, ...uleb(1), ...uleb(65536)] : [0x00, ...uleb(1)];
  const importMem = [...str('env'), ...str('memory'), 0x02, ...memLimits];
  const code = [batchedFunction(1), scalarFunction()].map((f) => [...uleb(f.length), ...f]);
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([typeBatched, typeScalar])),
    ...section(2, vec([importMem])),
    ...section(3, vec([uleb(0), uleb(1)])),
    ...section(7, vec([[...str('bmm'), 0x00, ...uleb(0)]])),
    ...section(10, vec(code)),
  ];
  return new Uint8Array(bytes);
}

export type BatchedGemm = (a: number, b: number, c: number, m: number, k: number, n: number, batch: number, strideA: number, strideB: number, strideC: number) => void;

const gemmModule = perMemory<{ bmm: BatchedGemm }>(gemmModuleBytes);

/** The batched product bound to `memory` (compiled once per memory). */
export function batchedGemm(memory: WebAssembly.Memory): BatchedGemm {
  return gemmModule(memory).bmm;
}
