import { FunctionBuilder, assembleModule, I32, V128, F32 } from '../util/wasm-assembler.ts';
import { accumulateIndexedFunction, gatherRowsFunction, selectUnchangedFunction, takeLaneFunction } from './simd-row-code.ts';

/**
 * WebAssembly SIMD code for squared-distance work between points and centroids, generated for one padded
 * dimension `dp` (a multiple of 4) so that the loop over dimensions is fully unrolled with constant offsets.
 *
 * Memory layouts (float32 unless said):
 * - points: rows of `dp` floats, processed in blocks of P rows (`rows`; callers pad the row count to a multiple of P);
 * - centroids: "passes" of 4G centroids stored dimension-major: for t in 0..dp, 4G floats = coordinate t of
 *   centroids 4Gq..4Gq+4G-1; a pass takes dp*16G bytes; their squared norms: 4G floats per pass
 *   (padding centroids get +Infinity so they never win);
 * - point squared norms: one float per row.
 * Distances are ||x||^2 + ||c||^2 - 2 x.c with P x 4G dot products held in registers.
 */

export interface DotLocals {
  acc: number[][]; // [group][row]
  c: number[]; // [group]
  s: number;
}

export function dotLocals(f: FunctionBuilder, groups: number, rows: number): DotLocals {
  return {
    acc: Array.from({ length: groups }, () => Array.from({ length: rows }, () => f.local(V128))),
    c: Array.from({ length: groups }, () => f.local(V128)),
    s: f.local(V128),
  };
}

/** Where row p of a block starts: a local holding a byte address, plus a constant byte offset. */
export type RowAddress = (p: number) => [local: number, offset: number];

/** Rows stored one after another from the address in local `xp` (rows of dp floats). */
export function consecutiveRows(xp: number, dp: number): RowAddress {
  return (p) => [xp, p * dp * 4];
}

/** acc[g][p] = dot products of the P rows at `row(p)` with the 4G centroids of the pass at `cp`. */
export function emitDots(f: FunctionBuilder, dp: number, groups: number, rows: number, row: RowAddress, cp: number, l: DotLocals): void {
  for (const r of l.acc) for (const a of r) f.v128ConstI32([0, 0, 0, 0]).set(a);
  for (let t = 0; t < dp; t++) {
    for (let g = 0; g < groups; g++) f.get(cp).v128Load((t * groups + g) * 16).set(l.c[g]);
    for (let p = 0; p < rows; p++) {
      const [base, offset] = row(p);
      f.get(base).v128Load32Splat(offset + t * 4).set(l.s);
      for (let g = 0; g < groups; g++) f.get(l.s).get(l.c[g]).f32x4Mul().get(l.acc[g][p]).f32x4Add().set(l.acc[g][p]);
    }
  }
}

/**
 * nearest(xPtr, nBlocks, cPtr, cnPtr, passes, xnPtr, labPtr, distPtr, secondPtr): for each row, the index
 * of the nearest centroid (the first one on exact ties), its squared distance and the squared distance to
 * the second nearest (both clipped at 0; the second is +Infinity with one centroid). Each lane keeps its
 * best and second best (second <- min(second, max(d, best)) before best <- min(best, d)); across lanes the
 * second is the smaller of the winning lane's second and the other lanes' bests.
 *
 * nearestIndexed(idxPtr, nBlocks, cPtr, cnPtr, passes, xnPtr, labPtr, distPtr, secondPtr, dataPtr): the same
 * for the rows named by an int32 index list (a multiple of P long) of a resident matrix at `dataPtr` (rows of
 * dp floats) whose squared norms are at `xnPtr`; outputs are in list order.
 */
function nearestFunction(dp: number, groups: number, rows: number, indexed: boolean): FunctionBuilder {
  const f = new FunctionBuilder(indexed ? [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32] : [I32, I32, I32, I32, I32, I32, I32, I32, I32], []);
  const [xPtr, nBlocks, cPtr, cnPtr, passes, xnPtr, labPtr, distPtr, secondPtr, dataPtr] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const i = f.local(I32), xp = f.local(I32), cp = f.local(I32), cnp = f.local(I32), q = f.local(I32);
  const xnp = f.local(I32), labp = f.local(I32), distp = f.local(I32), secp = f.local(I32);
  // Indexed mode: xp walks the index list; each block's rows are found through it.
  const ri = f.local(I32);
  const rowPtr = indexed ? Array.from({ length: rows }, () => f.local(I32)) : [];
  const rowXn = indexed ? Array.from({ length: rows }, () => f.local(F32)) : [];
  const best = Array.from({ length: rows }, () => f.local(V128));
  const second = Array.from({ length: rows }, () => f.local(V128));
  const bidx = Array.from({ length: rows }, () => f.local(V128));
  const idx = f.local(V128), idxG = f.local(V128), cn = f.local(V128), d = f.local(V128), mask = f.local(V128);
  const b = f.local(F32), bi = f.local(I32), v = f.local(F32), vi = f.local(I32), cond = f.local(I32);
  const sW = f.local(F32), b2 = f.local(F32), sv = f.local(F32);
  const l = dotLocals(f, groups, rows);
  const width = 4 * groups;
  const pushXn = (p: number) => (indexed ? f.get(rowXn[p]) : f.get(xnp).f32Load(p * 4));

  f.get(xPtr).set(xp).get(xnPtr).set(xnp).get(labPtr).set(labp).get(distPtr).set(distp).get(secondPtr).set(secp);
  f.i32Const(0).set(i);
  f.loop();
  for (let p = 0; p < rows; p++) {
    if (indexed) {
      f.get(xp).i32Load(p * 4).set(ri);
      f.get(dataPtr).get(ri).i32Const(dp * 4).i32Mul().i32Add().set(rowPtr[p]);
      f.get(xnPtr).get(ri).i32Const(4).i32Mul().i32Add().f32Load(0).set(rowXn[p]);
    }
    f.f32Const(Infinity).f32x4Splat().set(best[p]);
    f.f32Const(Infinity).f32x4Splat().set(second[p]);
    f.i32Const(0).i32x4Splat().set(bidx[p]);
  }
  f.v128ConstI32([0, 1, 2, 3]).set(idx);
  f.get(cPtr).set(cp).get(cnPtr).set(cnp).get(passes).set(q);
  f.loop();
  emitDots(f, dp, groups, rows, indexed ? (p) => [rowPtr[p], 0] : consecutiveRows(xp, dp), cp, l);
  for (let g = 0; g < groups; g++) {
    f.get(cnp).v128Load(g * 16).set(cn);
    f.get(idx).v128ConstI32([4 * g, 4 * g, 4 * g, 4 * g]).i32x4Add().set(idxG);
    for (let p = 0; p < rows; p++) {
      const acc = l.acc[g][p];
      f.get(cn).get(acc).get(acc).f32x4Add().f32x4Sub().tee(d).get(best[p]).f32x4Lt().set(mask);
      f.get(second[p]).get(d).get(best[p]).f32x4Max().f32x4Min().set(second[p]);
      f.get(d).get(best[p]).get(mask).bitselect().set(best[p]);
      f.get(idxG).get(bidx[p]).get(mask).bitselect().set(bidx[p]);
    }
  }
  f.get(idx).v128ConstI32([width, width, width, width]).i32x4Add().set(idx);
  f.get(cp).i32Const(dp * 4 * width).i32Add().set(cp);
  f.get(cnp).i32Const(4 * width).i32Add().set(cnp);
  f.get(q).i32Const(1).i32Sub().tee(q).brIf(0);
  f.end();
  for (let p = 0; p < rows; p++) {
    f.get(best[p]).f32x4ExtractLane(0).set(b).get(bidx[p]).i32x4ExtractLane(0).set(bi);
    f.get(second[p]).f32x4ExtractLane(0).set(sW).f32Const(Infinity).set(b2);
    for (let lane = 1; lane < 4; lane++) {
      f.get(best[p]).f32x4ExtractLane(lane).set(v).get(bidx[p]).i32x4ExtractLane(lane).set(vi);
      f.get(second[p]).f32x4ExtractLane(lane).set(sv);
      f.get(v).get(b).f32Lt().get(v).get(b).f32Eq().get(vi).get(bi).i32LtS().i32And().i32Or().set(cond);
      // The lane that loses offers its best as a second: the old winner's when this lane wins.
      f.get(b).get(b2).get(v).f32Min().get(cond).select().set(b2);
      f.get(sv).get(sW).get(cond).select().set(sW);
      f.get(v).get(b).get(cond).select().set(b);
      f.get(vi).get(bi).get(cond).select().set(bi);
    }
    f.get(labp).get(bi).i32Store(p * 4);
    f.get(distp).get(b);
    pushXn(p).f32Add().f32Const(0).f32Max().f32Store(p * 4);
    f.get(secp).get(b2).get(sW).f32Min();
    pushXn(p).f32Add().f32Const(0).f32Max().f32Store(p * 4);
  }
  for (const ptr of indexed ? [labp, distp, secp] : [xnp, labp, distp, secp]) f.get(ptr).i32Const(4 * rows).i32Add().set(ptr);
  f.get(xp).i32Const(indexed ? 4 * rows : 4 * rows * dp).i32Add().set(xp);
  f.get(i).i32Const(1).i32Add().tee(i).get(nBlocks).i32LtU().brIf(0);
  f.end();
  return f;
}

/**
 * potentials(xPtr, nBlocks, cPtr, cnPtr, passes, xnPtr, closestPtr, outPtr, potPtr, weightPtr): the k-means++
 * candidate step. For row i and candidate j: m = min(closest[i], max(||x_i - c_j||^2, 0)), written to
 * out[pass][i][4G]; pot[j] = sum over rows of weight[i] * m (a row standing for weight[i] copies of itself),
 * summed per block in float32 and across blocks in float64.
 */
function potentialsFunction(dp: number, groups: number, rows: number): FunctionBuilder {
  const f = new FunctionBuilder([I32, I32, I32, I32, I32, I32, I32, I32, I32, I32], []);
  const [xPtr, nBlocks, cPtr, cnPtr, passes, xnPtr, closestPtr, outPtr, potPtr, weightPtr] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const i = f.local(I32), xp = f.local(I32), cp = f.local(I32), cnp = f.local(I32), q = f.local(I32);
  const xnp = f.local(I32), clp = f.local(I32), op = f.local(I32), potp = f.local(I32), wp = f.local(I32);
  const xnS = f.local(V128), clS = f.local(V128), m = f.local(V128), zero = f.local(V128), wS = f.local(V128);
  const cn = Array.from({ length: groups }, () => f.local(V128));
  const sum = Array.from({ length: groups }, () => f.local(V128));
  const pot = Array.from({ length: 2 * groups }, () => f.local(V128));
  const l = dotLocals(f, groups, rows);
  const width = 4 * groups;
  const highHalf = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];

  f.v128ConstI32([0, 0, 0, 0]).set(zero);
  f.get(cPtr).set(cp).get(cnPtr).set(cnp).get(potPtr).set(potp).get(outPtr).set(op).get(passes).set(q);
  f.loop();
  for (const acc of pot) f.get(zero).set(acc);
  for (let g = 0; g < groups; g++) f.get(cnp).v128Load(g * 16).set(cn[g]);
  f.get(xPtr).set(xp).get(xnPtr).set(xnp).get(closestPtr).set(clp).get(weightPtr).set(wp).i32Const(0).set(i);
  f.loop();
  emitDots(f, dp, groups, rows, consecutiveRows(xp, dp), cp, l);
  for (const s of sum) f.get(zero).set(s);
  for (let p = 0; p < rows; p++) {
    f.get(xnp).v128Load32Splat(p * 4).set(xnS).get(clp).v128Load32Splat(p * 4).set(clS).get(wp).v128Load32Splat(p * 4).set(wS);
    for (let g = 0; g < groups; g++) {
      const acc = l.acc[g][p];
      f.get(cn[g]).get(xnS).f32x4Add().get(acc).get(acc).f32x4Add().f32x4Sub().get(zero).f32x4Max();
      f.get(clS).f32x4Min().set(m);
      f.get(op).get(m).v128Store((p * groups + g) * 16);
      f.get(sum[g]).get(m).get(wS).f32x4Mul().f32x4Add().set(sum[g]);
    }
  }
  for (let g = 0; g < groups; g++) {
    f.get(pot[2 * g]).get(sum[g]).f64x2PromoteLowF32x4().f64x2Add().set(pot[2 * g]);
    f.get(pot[2 * g + 1]).get(sum[g]).get(sum[g]).shuffle(highHalf).f64x2PromoteLowF32x4().f64x2Add().set(pot[2 * g + 1]);
  }
  for (const ptr of [xnp, clp, wp]) f.get(ptr).i32Const(4 * rows).i32Add().set(ptr);
  f.get(op).i32Const(4 * rows * width).i32Add().set(op);
  f.get(xp).i32Const(4 * rows * dp).i32Add().set(xp);
  f.get(i).i32Const(1).i32Add().tee(i).get(nBlocks).i32LtU().brIf(0);
  f.end();
  for (let h = 0; h < 2 * groups; h++) f.get(potp).get(pot[h]).v128Store(h * 16);
  f.get(potp).i32Const(8 * width).i32Add().set(potp);
  f.get(cp).i32Const(dp * 4 * width).i32Add().set(cp);
  f.get(cnp).i32Const(4 * width).i32Add().set(cnp);
  f.get(q).i32Const(1).i32Sub().tee(q).brIf(0);
  f.end();
  return f;
}

/** The compiled module's exports. */
export interface SimdDistanceExports {
  nearest(xPtr: number, nBlocks: number, cPtr: number, cnPtr: number, passes: number, xnPtr: number, labPtr: number, distPtr: number, secondPtr: number): void;
  nearestIndexed(idxPtr: number, nBlocks: number, cPtr: number, cnPtr: number, passes: number, xnPtr: number, labPtr: number, distPtr: number, secondPtr: number, dataPtr: number): void;
  potentials(xPtr: number, nBlocks: number, cPtr: number, cnPtr: number, passes: number, xnPtr: number, closestPtr: number, outPtr: number, potPtr: number, weightPtr: number): void;
  accumulateIndexed(idxPtr: number, count: number, dataPtr: number, labPtr: number, sumsPtr: number): void;
  gatherRows(idxPtr: number, count: number, dataPtr: number, xnPtr: number, outPtr: number, outXnPtr: number): void;
  takeLane(srcPtr: number, count: number, strideBytes: number, dstPtr: number, cumsumPtr: number, weightPtr: number): void;
  selectUnchanged(rowsPtr: number, count: number, batchPtr: number, assignedPtr: number, boundPtr: number, drift: number, centersPtr: number, labPtr: number, distPtr: number, todoPtr: number): number;
}

/** Register blocking: rows per block and centroids per pass (a multiple of 4) of each function. */
export interface SimdBlocking {
  rows: number;
  nearestWidth: number;
  potentialsWidth: number;
}

/** Module bytes for padded dimension `dp`. */
export function simdDistanceModuleBytes(dp: number, blocking: SimdBlocking): Uint8Array<ArrayBuffer> {
  if (dp % 4 !== 0 || dp <= 0) throw new Error(`simdDistanceModuleBytes: padded dimension must be a positive multiple of 4, got ${dp}`);
  return assembleModule([
    { name: 'nearest', fn: nearestFunction(dp, blocking.nearestWidth / 4, blocking.rows, false) },
    { name: 'nearestIndexed', fn: nearestFunction(dp, blocking.nearestWidth / 4, blocking.rows, true) },
    { name: 'potentials', fn: potentialsFunction(dp, blocking.potentialsWidth / 4, blocking.rows) },
    { name: 'accumulateIndexed', fn: accumulateIndexedFunction(dp) },
    { name: 'gatherRows', fn: gatherRowsFunction(dp) },
    { name: 'selectUnchanged', fn: selectUnchangedFunction(dp) },
    { name: 'takeLane', fn: takeLaneFunction() },
  ]);
}

/** Instantiates the kernels over `memory`, or returns null where WebAssembly SIMD is unavailable. */
export function instantiateSimdDistance(dp: number, blocking: SimdBlocking, memory: WebAssembly.Memory): SimdDistanceExports | null {
  if (typeof WebAssembly === 'undefined') return null;
  const bytes = simdDistanceModuleBytes(dp, blocking);
  if (!WebAssembly.validate(bytes)) return null;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  return instance.exports as unknown as SimdDistanceExports;
}
