import { FunctionBuilder, assembleModule, F32, I32, V128, type ValType } from '../util/wasm-assembler.ts';

const locals = (fn: FunctionBuilder, type: ValType, n: number): number[] => Array.from({ length: n }, () => fn.local(type));

/**
 * Layer normalisation over rows of D = 4 * groups floats, forward and backward, as WebAssembly SIMD
 * passes over each row (a row of hubert-tiny is 1 KB: it stays in the first-level cache across the
 * passes). The composite form runs ~20 kernels per layer norm, each a full pass over [rows, D].
 *
 *   lnForward(x, w, b, y, mean, rstd, rows, groups, eps)
 *     per row: mean = sum(x) / D; var = sum((x - mean)^2) / D; rstd = 1 / sqrt(var + eps);
 *     y = ((x - mean) rstd) w + b; mean and rstd stored per row (the backward pass reads them).
 *   lnBackward(dy, x, mean, rstd, w, dx, dw, db, rows, groups)
 *     per row, with xh = (x - mean) rstd and g = dy w: a = mean(g), c = mean(g xh);
 *     dx = ((g - a) - xh c) rstd; dw += dy xh; db += dy (dw, db zeroed by the caller).
 * Sums run in four lanes, then across them.
 */

/** Pushes the sum of the four lanes of v128 local `v`. */
function horizontalSum(fn: FunctionBuilder, v: number): void {
  fn.get(v).f32x4ExtractLane(0).get(v).f32x4ExtractLane(1).f32Add().get(v).f32x4ExtractLane(2).f32Add().get(v).f32x4ExtractLane(3).f32Add();
}

/** `do { body(); pointers += 16 } while (--count)`; count >= 1. */
function groupLoop(fn: FunctionBuilder, count: number, pointers: number[], body: () => void): void {
  fn.loop();
  body();
  for (const p of pointers) fn.get(p).i32Const(16).i32Add().set(p);
  fn.get(count).i32Const(1).i32Sub().tee(count).brIf(0);
  fn.end();
}

/** for (r = 0; r < rows; r++) body(r); rows >= 1. */
function rowLoop(fn: FunctionBuilder, r: number, rows: number, body: () => void): void {
  fn.i32Const(0).set(r);
  fn.loop();
  body();
  fn.get(r).i32Const(1).i32Add().tee(r).get(rows).i32LtS().brIf(0);
  fn.end();
}

function forwardFunction(): FunctionBuilder {
  const fn = new FunctionBuilder([I32, I32, I32, I32, I32, I32, I32, I32, F32], []);
  const [x, w, b, y, meanOut, rstdOut, rows, groups, eps] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [r, g, px, pw, pb, py, rowBytes] = locals(fn, I32, 7);
  const [acc, vm, vr, d] = locals(fn, V128, 4);
  const [mean, rstd, invD] = locals(fn, F32, 3);
  fn.f32Const(1).get(groups).i32Const(4).i32Mul().f32ConvertI32S().f32Div().set(invD);
  fn.get(groups).i32Const(16).i32Mul().set(rowBytes);
  rowLoop(fn, r, rows, () => {
    // mean
    fn.v128ConstI32([0, 0, 0, 0]).set(acc);
    fn.get(x).set(px);
    fn.get(groups).set(g);
    groupLoop(fn, g, [px], () => fn.get(acc).get(px).v128Load().f32x4Add().set(acc));
    horizontalSum(fn, acc);
    fn.get(invD).f32Mul().tee(mean).f32x4Splat().set(vm);
    // 1 / sqrt(centred variance + eps)
    fn.v128ConstI32([0, 0, 0, 0]).set(acc);
    fn.get(x).set(px);
    fn.get(groups).set(g);
    groupLoop(fn, g, [px], () => {
      fn.get(px).v128Load().get(vm).f32x4Sub().set(d);
      fn.get(acc).get(d).get(d).f32x4Mul().f32x4Add().set(acc);
    });
    fn.f32Const(1);
    horizontalSum(fn, acc);
    fn.get(invD).f32Mul().get(eps).f32Add().f32Sqrt().f32Div().tee(rstd).f32x4Splat().set(vr);
    // y = ((x - mean) rstd) w + b
    fn.get(x).set(px);
    fn.get(y).set(py);
    fn.get(w).set(pw);
    fn.get(b).set(pb);
    fn.get(groups).set(g);
    groupLoop(fn, g, [px, py, pw, pb], () => {
      fn.get(py).get(px).v128Load().get(vm).f32x4Sub().get(vr).f32x4Mul().get(pw).v128Load().f32x4Mul().get(pb).v128Load().f32x4Add().v128Store();
    });
    fn.get(meanOut).get(r).i32Const(4).i32Mul().i32Add().get(mean).f32Store();
    fn.get(rstdOut).get(r).i32Const(4).i32Mul().i32Add().get(rstd).f32Store();
    fn.get(x).get(rowBytes).i32Add().set(x);
    fn.get(y).get(rowBytes).i32Add().set(y);
  });
  return fn;
}

function backwardFunction(): FunctionBuilder {
  const fn = new FunctionBuilder([I32, I32, I32, I32, I32, I32, I32, I32, I32, I32], []);
  const [dy, x, meanIn, rstdIn, w, dx, dw, db, rows, groups] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [r, g, pdy, px, pw, pdx, pdw, pdb, rowBytes] = locals(fn, I32, 9);
  const [a, c, vm, vr, va, vc, xh, gv, dyv] = locals(fn, V128, 9);
  const invD = fn.local(F32);
  fn.f32Const(1).get(groups).i32Const(4).i32Mul().f32ConvertI32S().f32Div().set(invD);
  fn.get(groups).i32Const(16).i32Mul().set(rowBytes);
  rowLoop(fn, r, rows, () => {
    fn.get(meanIn).get(r).i32Const(4).i32Mul().i32Add().f32Load().f32x4Splat().set(vm);
    fn.get(rstdIn).get(r).i32Const(4).i32Mul().i32Add().f32Load().f32x4Splat().set(vr);
    // a = sum(g), c = sum(g xh)
    fn.v128ConstI32([0, 0, 0, 0]).set(a);
    fn.v128ConstI32([0, 0, 0, 0]).set(c);
    fn.get(dy).set(pdy);
    fn.get(x).set(px);
    fn.get(w).set(pw);
    fn.get(groups).set(g);
    groupLoop(fn, g, [pdy, px, pw], () => {
      fn.get(px).v128Load().get(vm).f32x4Sub().get(vr).f32x4Mul().set(xh);
      fn.get(pdy).v128Load().get(pw).v128Load().f32x4Mul().set(gv);
      fn.get(a).get(gv).f32x4Add().set(a);
      fn.get(c).get(gv).get(xh).f32x4Mul().f32x4Add().set(c);
    });
    horizontalSum(fn, a);
    fn.get(invD).f32Mul().f32x4Splat().set(va);
    horizontalSum(fn, c);
    fn.get(invD).f32Mul().f32x4Splat().set(vc);
    // dx = ((g - a) - xh c) rstd; dw += dy xh; db += dy
    fn.get(dy).set(pdy);
    fn.get(x).set(px);
    fn.get(w).set(pw);
    fn.get(dx).set(pdx);
    fn.get(dw).set(pdw);
    fn.get(db).set(pdb);
    fn.get(groups).set(g);
    groupLoop(fn, g, [pdy, px, pw, pdx, pdw, pdb], () => {
      fn.get(px).v128Load().get(vm).f32x4Sub().get(vr).f32x4Mul().set(xh);
      fn.get(pdy).v128Load().set(dyv);
      fn.get(dyv).get(pw).v128Load().f32x4Mul().set(gv);
      fn.get(pdx).get(gv).get(va).f32x4Sub().get(xh).get(vc).f32x4Mul().f32x4Sub().get(vr).f32x4Mul().v128Store();
      fn.get(pdw).get(pdw).v128Load().get(dyv).get(xh).f32x4Mul().f32x4Add().v128Store();
      fn.get(pdb).get(pdb).v128Load().get(dyv).f32x4Add().v128Store();
    });
    fn.get(dy).get(rowBytes).i32Add().set(dy);
    fn.get(x).get(rowBytes).i32Add().set(x);
    fn.get(dx).get(rowBytes).i32Add().set(dx);
  });
  return fn;
}

export function layerNormModuleBytes(sharedMemory: boolean): Uint8Array<ArrayBuffer> {
  return assembleModule([{ name: 'lnForward', fn: forwardFunction() }, { name: 'lnBackward', fn: backwardFunction() }], sharedMemory);
}
