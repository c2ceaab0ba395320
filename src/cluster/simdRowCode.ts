import { FunctionBuilder, I32, V128 } from './wasmAssembler.ts';

/**
 * Per-row WebAssembly SIMD helpers of the mini-batch step, over a resident matrix (rows of `dp` floats,
 * dp a multiple of 4, at `dataPtr`) and an int32 list of row indices:
 * - distanceToLabel(idxPtr, count, dataPtr, labPtr, centersPtr, outPtr): out[i] = ||x_idx[i] - c_lab[i]||^2
 *   from the differences (not the norm expansion), so it has no cancellation error; centres row-major, dp floats each;
 * - accumulateIndexed(idxPtr, count, dataPtr, labPtr, sumsPtr): sums[lab[i]] += x_idx[i] in float64
 *   (sums row-major [k, dp] doubles).
 * `count` must be at least 1.
 */

const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];

export function distanceToLabelFunction(dp: number): FunctionBuilder {
  const f = new FunctionBuilder([I32, I32, I32, I32, I32, I32], []);
  const [idxPtr, count, dataPtr, labPtr, centersPtr, outPtr] = [0, 1, 2, 3, 4, 5];
  const i = f.local(I32), idxp = f.local(I32), labp = f.local(I32), outp = f.local(I32), x = f.local(I32), c = f.local(I32);
  const acc = [f.local(V128), f.local(V128)], diff = f.local(V128);
  f.get(idxPtr).set(idxp).get(labPtr).set(labp).get(outPtr).set(outp).i32Const(0).set(i);
  f.loop();
  f.get(dataPtr).get(idxp).i32Load(0).i32Const(dp * 4).i32Mul().i32Add().set(x);
  f.get(centersPtr).get(labp).i32Load(0).i32Const(dp * 4).i32Mul().i32Add().set(c);
  for (const a of acc) f.v128ConstI32([0, 0, 0, 0]).set(a);
  for (let v = 0; v < dp / 4; v++) {
    const a = acc[v % 2];
    f.get(x).v128Load(v * 16).get(c).v128Load(v * 16).f32x4Sub().set(diff);
    f.get(diff).get(diff).f32x4Mul().get(a).f32x4Add().set(a);
  }
  f.get(acc[0]).get(acc[1]).f32x4Add().set(diff);
  f.get(outp);
  f.get(diff).f32x4ExtractLane(0).get(diff).f32x4ExtractLane(1).f32Add();
  f.get(diff).f32x4ExtractLane(2).get(diff).f32x4ExtractLane(3).f32Add().f32Add();
  f.f32Store(0);
  for (const ptr of [idxp, labp, outp]) f.get(ptr).i32Const(4).i32Add().set(ptr);
  f.get(i).i32Const(1).i32Add().tee(i).get(count).i32LtU().brIf(0);
  f.end();
  return f;
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
