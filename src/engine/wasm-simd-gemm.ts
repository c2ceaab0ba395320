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
 * finished by a scalar loop. Sums run over k in order, as a plain dot product. Assembled with
 * src/util/wasm-assembler.ts, as the engine's other kernels.
 */

import { assembleModule, F32, FunctionBuilder, I32, V128 } from '../util/wasm-assembler.ts';
import { perMemory } from './wasm-modules.ts';

/** local += local (i32). */
const addTo = (f: FunctionBuilder, dst: number, src: number) => f.get(dst).get(src).i32Add().set(dst);
/** local += constant (i32). */
const addConst = (f: FunctionBuilder, dst: number, c: number) => f.get(dst).i32Const(c).i32Add().set(dst);

/**
 * scalar(a, b, c, K, N, r0, r1, c0): C[i][j] = sum_k A[i][k] B[k][j] for rows r0 <= i < r1 and
 * columns c0 <= j < N of one batch item (a, b, c byte addresses of its A, B, C).
 */
function scalarFunction(): FunctionBuilder {
  const f = new FunctionBuilder([I32, I32, I32, I32, I32, I32, I32, I32], []);
  const [a, b, c, K, N, r0, r1, c0] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [i, j, k, pa, pb] = [f.local(I32), f.local(I32), f.local(I32), f.local(I32), f.local(I32)];
  const s = f.local(F32);
  f.get(r0).set(i);
  f.block().loop(); // rows
  f.get(i).get(r1).i32GeS().brIf(1);
  f.get(c0).set(j);
  f.block().loop(); // columns
  f.get(j).get(N).i32GeS().brIf(1);
  f.f32Const(0).set(s);
  // pa = a + 4*i*K ; pb = b + 4*j
  f.get(a).get(i).get(K).i32Mul().i32Const(4).i32Mul().i32Add().set(pa);
  f.get(b).get(j).i32Const(4).i32Mul().i32Add().set(pb);
  f.get(K).set(k);
  f.block().loop(); // k
  f.get(k).i32Eqz().brIf(1);
  f.get(s).get(pa).f32Load().get(pb).f32Load().f32Mul().f32Add().set(s);
  addConst(f, pa, 4);
  f.get(pb).get(N).i32Const(4).i32Mul().i32Add().set(pb);
  addConst(f, k, -1);
  f.br(0).end().end();
  // C[i][j] = s
  f.get(c).get(i).get(N).i32Mul().get(j).i32Add().i32Const(4).i32Mul().i32Add().get(s).f32Store();
  addConst(f, j, 1);
  f.br(0).end().end();
  addConst(f, i, 1);
  f.br(0).end().end();
  return f;
}

/** bmm(a, b, c, M, K, N, batch, strideA, strideB, strideC): the batched product (see the file comment). */
function batchedFunction(scalarIndex: number): FunctionBuilder {
  const f = new FunctionBuilder([I32, I32, I32, I32, I32, I32, I32, I32, I32, I32], []);
  const [a, b, c, M, K, N, batch, sA, sB, sC] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [g, i, j, k, pa, pb, pc, rowA, rowB, t] = Array.from({ length: 10 }, () => f.local(I32));
  const acc = Array.from({ length: 8 }, () => f.local(V128));
  const [bv0, bv1, av] = [f.local(V128), f.local(V128), f.local(V128)];
  const rowFma = (r: number) => {
    if (r === 0) f.get(pa);
    else f.get(t).get(rowA).i32Add().tee(t);
    f.v128Load32Splat().set(av);
    f.get(acc[2 * r]).get(av).get(bv0).f32x4Mul().f32x4Add().set(acc[2 * r]);
    f.get(acc[2 * r + 1]).get(av).get(bv1).f32x4Mul().f32x4Add().set(acc[2 * r + 1]);
  };
  const rowStore = (r: number) => {
    f.get(pc).get(acc[2 * r]).v128Store();
    f.get(pc).get(acc[2 * r + 1]).v128Store(16);
    if (r < 3) addTo(f, pc, rowB);
  };
  f.get(K).i32Const(4).i32Mul().set(rowA);
  f.get(N).i32Const(4).i32Mul().set(rowB);
  f.i32Const(0).set(g);
  f.block().loop(); // batch items
  f.get(g).get(batch).i32GeS().brIf(1);
  f.i32Const(0).set(i);
  f.block().loop(); // row tiles
  f.get(i).i32Const(4).i32Add().get(M).i32GtS().brIf(1);
  f.i32Const(0).set(j);
  f.block().loop(); // column tiles
  f.get(j).i32Const(8).i32Add().get(N).i32GtS().brIf(1);
  for (const x of acc) f.v128ConstI32([0, 0, 0, 0]).set(x);
  f.get(a).get(i).get(rowA).i32Mul().i32Add().set(pa);
  f.get(b).get(j).i32Const(4).i32Mul().i32Add().set(pb);
  f.get(K).set(k);
  f.loop(); // k (K >= 1, checked by the caller)
  f.get(pb).v128Load().set(bv0);
  f.get(pb).v128Load(16).set(bv1);
  f.get(pa).set(t);
  for (let r = 0; r < 4; r++) rowFma(r);
  addConst(f, pa, 4);
  addTo(f, pb, rowB);
  f.get(k).i32Const(1).i32Sub().tee(k).brIf(0);
  f.end();
  f.get(c).get(i).get(rowB).i32Mul().i32Add().get(j).i32Const(4).i32Mul().i32Add().set(pc);
  for (let r = 0; r < 4; r++) rowStore(r);
  addConst(f, j, 8);
  f.br(0).end().end();
  // columns j..N of rows i..i+4
  f.get(a).get(b).get(c).get(K).get(N).get(i).get(i).i32Const(4).i32Add().get(j).call(scalarIndex);
  addConst(f, i, 4);
  f.br(0).end().end();
  // rows i..M, every column
  f.get(a).get(b).get(c).get(K).get(N).get(i).get(M).i32Const(0).call(scalarIndex);
  addTo(f, a, sA);
  addTo(f, b, sB);
  addTo(f, c, sC);
  addConst(f, g, 1);
  f.br(0).end().end();
  return f;
}

/** The module's bytes; `shared` must match the memory it will import (the threaded build's is shared). */
export function gemmModuleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  return assembleModule([{ name: 'bmm', fn: batchedFunction(1) }, { name: 'scalar', fn: scalarFunction() }], shared);
}

export type BatchedGemm = (a: number, b: number, c: number, m: number, k: number, n: number, batch: number, strideA: number, strideB: number, strideC: number) => void;

const gemmModule = perMemory<{ bmm: BatchedGemm }>(gemmModuleBytes);

/** The batched product bound to `memory` (compiled once per memory). */
export function batchedGemm(memory: WebAssembly.Memory): BatchedGemm {
  return gemmModule(memory).bmm;
}
