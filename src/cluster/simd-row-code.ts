import { FunctionBuilder, I32, F32, F64, V128 } from '../util/wasm-assembler.ts';

/**
 * Per-row WebAssembly SIMD helpers of the mini-batch step, over a resident matrix (rows of `dp` floats,
 * dp a multiple of 4, at `dataPtr`) and an int32 list of row indices (see also gatherRows and
 * selectUnchanged below; squared distances there come from differences, not the norm expansion, so they
 * carry no cancellation error):
 * - accumulateIndexed(idxPtr, count, dataPtr, labPtr, sumsPtr): sums[lab[i]] += x_idx[i] in float64
 *   (sums row-major [k, dp] doubles).
 * `count` must be at least 1.
 */

const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];

/** Pushes ||row at local x - row at local c||^2 (dp floats each) as an f32, from the differences. */
function emitSquaredDistance(f: FunctionBuilder, dp: number, x: number, c: number, acc: number[], diff: number): void {
  for (const a of acc) f.v128ConstI32([0, 0, 0, 0]).set(a);
  for (let v = 0; v < dp / 4; v++) {
    const a = acc[v % 2];
    f.get(x).v128Load(v * 16).get(c).v128Load(v * 16).f32x4Sub().set(diff);
    f.get(diff).get(diff).f32x4Mul().get(a).f32x4Add().set(a);
  }
  f.get(acc[0]).get(acc[1]).f32x4Add().set(diff);
  f.get(diff).f32x4ExtractLane(0).get(diff).f32x4ExtractLane(1).f32Add();
  f.get(diff).f32x4ExtractLane(2).get(diff).f32x4ExtractLane(3).f32Add().f32Add();
}

export function accumulateIndexedFunction(dp: number): FunctionBuilder {
  const f = new FunctionBuilder([I32, I32, I32, I32, I32], []);
  const [idxPtr, count, dataPtr, labPtr, sumsPtr] = [0, 1, 2, 3, 4];
  const i = f.local(I32), idxp = f.local(I32), labp = f.local(I32), x = f.local(I32), s = f.local(I32), xv = f.local(V128);
  f.get(idxPtr).set(idxp).get(labPtr).set(labp).i32Const(0).set(i);
  f.loop();
  f.get(dataPtr).get(idxp).i32Load(0).i32Const(dp * 4).i32Mul().i32Add().set(x);
  f.get(sumsPtr).get(labp).i32Load(0).i32Const(dp * 8).i32Mul().i32Add().set(s);
  for (let v = 0; v < dp / 4; v++) {
    f.get(x).v128Load(v * 16).set(xv);
    f.get(s).get(s).v128Load(v * 32).get(xv).f64x2PromoteLowF32x4().f64x2Add().v128Store(v * 32);
    f.get(s).get(s).v128Load(v * 32 + 16).get(xv).get(xv).shuffle(HIGH_HALF).f64x2PromoteLowF32x4().f64x2Add().v128Store(v * 32 + 16);
  }
  for (const ptr of [idxp, labp]) f.get(ptr).i32Const(4).i32Add().set(ptr);
  f.get(i).i32Const(1).i32Add().tee(i).get(count).i32LtU().brIf(0);
  f.end();
  return f;
}

/**
 * gatherRows(idxPtr, count, dataPtr, xnPtr, outPtr, outXnPtr): copies the listed rows (dp floats each) and
 * their squared norms into consecutive storage, so later passes over the batch read memory in order.
 */
export function gatherRowsFunction(dp: number): FunctionBuilder {
  const f = new FunctionBuilder([I32, I32, I32, I32, I32, I32], []);
  const [idxPtr, count, dataPtr, xnPtr, outPtr, outXnPtr] = [0, 1, 2, 3, 4, 5];
  const i = f.local(I32), idxp = f.local(I32), op = f.local(I32), oxp = f.local(I32), r = f.local(I32), x = f.local(I32);
  f.get(idxPtr).set(idxp).get(outPtr).set(op).get(outXnPtr).set(oxp).i32Const(0).set(i);
  f.loop();
  f.get(idxp).i32Load(0).set(r);
  f.get(dataPtr).get(r).i32Const(dp * 4).i32Mul().i32Add().set(x);
  for (let v = 0; v < dp / 4; v++) f.get(op).get(x).v128Load(v * 16).v128Store(v * 16);
  f.get(oxp).get(xnPtr).get(r).i32Const(4).i32Mul().i32Add().f32Load(0).f32Store(0);
  f.get(idxp).i32Const(4).i32Add().set(idxp);
  f.get(oxp).i32Const(4).i32Add().set(oxp);
  f.get(op).i32Const(dp * 4).i32Add().set(op);
  f.get(i).i32Const(1).i32Add().tee(i).get(count).i32LtU().brIf(0);
  f.end();
  return f;
}

/**
 * selectUnchanged(rowsPtr, count, batchPtr, assignedPtr, boundPtr, drift, centersPtr, labPtr, distPtr, todoPtr)
 * -> m: the bound test of BoundedAssignment for batch rows 0..count (gathered at batchPtr, dp floats each;
 * rowsPtr their row indices). Per row r: a = assigned[r] (-1: never assigned), label a (0 when -1) and
 * d = ||x - c_a||^2 are written; the row keeps a when a >= 0 and bound = boundPtr[r] (f64) - drift > 0 and
 * d * (1 + 1e-5) <= bound^2; the batch positions of the other rows are listed at todoPtr; returns their count.
 */
export function selectUnchangedFunction(dp: number): FunctionBuilder {
  const f = new FunctionBuilder([I32, I32, I32, I32, I32, F64, I32, I32, I32, I32], [I32]);
  const [rowsPtr, count, batchPtr, assignedPtr, boundPtr, drift, centersPtr, labPtr, distPtr, todoPtr] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const i = f.local(I32), m = f.local(I32), r = f.local(I32), a = f.local(I32), known = f.local(I32), keep = f.local(I32);
  const x = f.local(I32), c = f.local(I32), d = f.local(F32), bound = f.local(F64);
  const acc = [f.local(V128), f.local(V128)], diff = f.local(V128);
  f.i32Const(0).set(i).i32Const(0).set(m).get(batchPtr).set(x);
  f.loop();
  f.get(rowsPtr).get(i).i32Const(4).i32Mul().i32Add().i32Load(0).set(r);
  f.get(assignedPtr).get(r).i32Const(4).i32Mul().i32Add().i32Load(0).tee(a).i32Const(0).i32GeS().set(known);
  f.get(a).i32Const(0).get(known).select().set(a);
  f.get(centersPtr).get(a).i32Const(dp * 4).i32Mul().i32Add().set(c);
  emitSquaredDistance(f, dp, x, c, acc, diff);
  f.set(d);
  f.get(labPtr).get(i).i32Const(4).i32Mul().i32Add().get(a).i32Store(0);
  f.get(distPtr).get(i).i32Const(4).i32Mul().i32Add().get(d).f32Store(0);
  f.get(boundPtr).get(r).i32Const(8).i32Mul().i32Add().f64Load(0).get(drift).f64Sub().set(bound);
  f.get(known).get(bound).f64Const(0).f64Gt().i32And();
  f.get(d).f64PromoteF32().f64Const(1 + 1e-5).f64Mul().get(bound).get(bound).f64Mul().f64Le().i32And().set(keep);
  f.get(todoPtr).get(m).i32Const(4).i32Mul().i32Add().get(i).i32Store(0);
  f.get(m).i32Const(1).i32Add().get(keep).i32Sub().set(m);
  f.get(x).i32Const(dp * 4).i32Add().set(x);
  f.get(i).i32Const(1).i32Add().tee(i).get(count).i32LtU().brIf(0);
  f.end();
  f.get(m);
  return f;
}

/**
 * takeLane(srcPtr, count, strideBytes, dstPtr, cumsumPtr, weightPtr): the k-means++ "take this candidate"
 * step: dst[i] = the f32 at srcPtr + i * strideBytes (one lane of the candidate minima) and cumsum[i] =
 * w[0] dst[0] + ... + w[i] dst[i] summed in float64 (what the next draw searches; w: f32 row weights).
 */
export function takeLaneFunction(): FunctionBuilder {
  const f = new FunctionBuilder([I32, I32, I32, I32, I32, I32], []);
  const [srcPtr, count, stride, dstPtr, cumsumPtr, weightPtr] = [0, 1, 2, 3, 4, 5];
  const i = f.local(I32), v = f.local(F32), s = f.local(F64);
  f.i32Const(0).set(i).f64Const(0).set(s);
  f.loop();
  f.get(srcPtr).f32Load(0).set(v);
  f.get(dstPtr).get(v).f32Store(0);
  f.get(cumsumPtr).get(s).get(v).f64PromoteF32().get(weightPtr).f32Load(0).f64PromoteF32().f64Mul().f64Add().tee(s).f64Store(0);
  f.get(weightPtr).i32Const(4).i32Add().set(weightPtr);
  f.get(srcPtr).get(stride).i32Add().set(srcPtr);
  f.get(dstPtr).i32Const(4).i32Add().set(dstPtr);
  f.get(cumsumPtr).i32Const(8).i32Add().set(cumsumPtr);
  f.get(i).i32Const(1).i32Add().tee(i).get(count).i32LtU().brIf(0);
  f.end();
  return f;
}
