import { FunctionBuilder, assembleModule, I32, V128, F32 } from './wasmAssembler.ts';

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

interface DotLocals {
  acc: number[][]; // [group][row]
  c: number[]; // [group]
  s: number;
}

function dotLocals(f: FunctionBuilder, groups: number, rows: number): DotLocals {
  return {
    acc: Array.from({ length: groups }, () => Array.from({ length: rows }, () => f.local(V128))),
    c: Array.from({ length: groups }, () => f.local(V128)),
    s: f.local(V128),
  };
}

/** acc[g][p] = dot products of the P rows at `xp` with the 4G centroids of the pass at `cp`. */
function emitDots(f: FunctionBuilder, dp: number, groups: number, rows: number, xp: number, cp: number, l: DotLocals): void {
  for (const row of l.acc) for (const a of row) f.v128ConstI32([0, 0, 0, 0]).set(a);
  for (let t = 0; t < dp; t++) {
    for (let g = 0; g < groups; g++) f.get(cp).v128Load((t * groups + g) * 16).set(l.c[g]);
    for (let p = 0; p < rows; p++) {
      f.get(xp).v128Load32Splat((p * dp + t) * 4).set(l.s);
      for (let g = 0; g < groups; g++) f.get(l.s).get(l.c[g]).f32x4Mul().get(l.acc[g][p]).f32x4Add().set(l.acc[g][p]);
    }
  }
}

/**
 * nearest(xPtr, nBlocks, cPtr, cnPtr, passes, xnPtr, labPtr, distPtr): for each row, the index of the
 * nearest centroid (the first one on exact ties) and its squared distance, clipped at 0.
 */
function nearestFunction(dp: number, groups: number, rows: number): FunctionBuilder {
  const f = new FunctionBuilder([I32, I32, I32, I32, I32, I32, I32, I32], []);
  const [xPtr, nBlocks, cPtr, cnPtr, passes, xnPtr, labPtr, distPtr] = [0, 1, 2, 3, 4, 5, 6, 7];
  const i = f.local(I32), xp = f.local(I32), cp = f.local(I32), cnp = f.local(I32), q = f.local(I32);
  const xnp = f.local(I32), labp = f.local(I32), distp = f.local(I32);
  const best = Array.from({ length: rows }, () => f.local(V128));
  const bidx = Array.from({ length: rows }, () => f.local(V128));
  const idx = f.local(V128), idxG = f.local(V128), cn = f.local(V128), d = f.local(V128), mask = f.local(V128);
  const b = f.local(F32), bi = f.local(I32), v = f.local(F32), vi = f.local(I32), cond = f.local(I32);
  const l = dotLocals(f, groups, rows);
  const width = 4 * groups;

  f.get(xPtr).set(xp).get(xnPtr).set(xnp).get(labPtr).set(labp).get(distPtr).set(distp);
  f.i32Const(0).set(i);
  f.loop();
  for (let p = 0; p < rows; p++) {
    f.f32Const(Infinity).f32x4Splat().set(best[p]);
    f.i32Const(0).i32x4Splat().set(bidx[p]);
  }
  f.v128ConstI32([0, 1, 2, 3]).set(idx);
  f.get(cPtr).set(cp).get(cnPtr).set(cnp).get(passes).set(q);
  f.loop();
  emitDots(f, dp, groups, rows, xp, cp, l);
  for (let g = 0; g < groups; g++) {
    f.get(cnp).v128Load(g * 16).set(cn);
    f.get(idx).v128ConstI32([4 * g, 4 * g, 4 * g, 4 * g]).i32x4Add().set(idxG);
    for (let p = 0; p < rows; p++) {
      const acc = l.acc[g][p];
      f.get(cn).get(acc).get(acc).f32x4Add().f32x4Sub().tee(d).get(best[p]).f32x4Lt().set(mask);
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
    for (let lane = 1; lane < 4; lane++) {
      f.get(best[p]).f32x4ExtractLane(lane).set(v).get(bidx[p]).i32x4ExtractLane(lane).set(vi);
      f.get(v).get(b).f32Lt().get(v).get(b).f32Eq().get(vi).get(bi).i32LtS().i32And().i32Or().set(cond);
      f.get(v).get(b).get(cond).select().set(b);
      f.get(vi).get(bi).get(cond).select().set(bi);
    }
    f.get(labp).get(bi).i32Store(p * 4);
    f.get(distp).get(b).get(xnp).f32Load(p * 4).f32Add().f32Const(0).f32Max().f32Store(p * 4);
  }
  for (const ptr of [xnp, labp, distp]) f.get(ptr).i32Const(4 * rows).i32Add().set(ptr);
  f.get(xp).i32Const(4 * rows * dp).i32Add().set(xp);
  f.get(i).i32Const(1).i32Add().tee(i).get(nBlocks).i32LtU().brIf(0);
  f.end();
  return f;
}

/**
 * potentials(xPtr, nBlocks, cPtr, cnPtr, passes, xnPtr, closestPtr, outPtr, potPtr): the k-means++
 * candidate step. For row i and candidate j: m = min(closest[i], max(||x_i - c_j||^2, 0)), written to
 * out[pass][i][4G]; pot[j] = sum over rows of m, summed per block in float32 and across blocks in float64.
 */
function potentialsFunction(dp: number, groups: number, rows: number): FunctionBuilder {
  const f = new FunctionBuilder([I32, I32, I32, I32, I32, I32, I32, I32, I32], []);
  const [xPtr, nBlocks, cPtr, cnPtr, passes, xnPtr, closestPtr, outPtr, potPtr] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const i = f.local(I32), xp = f.local(I32), cp = f.local(I32), cnp = f.local(I32), q = f.local(I32);
  const xnp = f.local(I32), clp = f.local(I32), op = f.local(I32), potp = f.local(I32);
  const xnS = f.local(V128), clS = f.local(V128), m = f.local(V128), zero = f.local(V128);
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
  f.get(xPtr).set(xp).get(xnPtr).set(xnp).get(closestPtr).set(clp).i32Const(0).set(i);
  f.loop();
  emitDots(f, dp, groups, rows, xp, cp, l);
  for (const s of sum) f.get(zero).set(s);
  for (let p = 0; p < rows; p++) {
    f.get(xnp).v128Load32Splat(p * 4).set(xnS).get(clp).v128Load32Splat(p * 4).set(clS);
    for (let g = 0; g < groups; g++) {
      const acc = l.acc[g][p];
      f.get(cn[g]).get(xnS).f32x4Add().get(acc).get(acc).f32x4Add().f32x4Sub().get(zero).f32x4Max();
      f.get(clS).f32x4Min().set(m);
      f.get(op).get(m).v128Store((p * groups + g) * 16);
      f.get(sum[g]).get(m).f32x4Add().set(sum[g]);
    }
  }
  for (let g = 0; g < groups; g++) {
    f.get(pot[2 * g]).get(sum[g]).f64x2PromoteLowF32x4().f64x2Add().set(pot[2 * g]);
    f.get(pot[2 * g + 1]).get(sum[g]).get(sum[g]).shuffle(highHalf).f64x2PromoteLowF32x4().f64x2Add().set(pot[2 * g + 1]);
  }
  for (const ptr of [xnp, clp]) f.get(ptr).i32Const(4 * rows).i32Add().set(ptr);
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
  nearest(xPtr: number, nBlocks: number, cPtr: number, cnPtr: number, passes: number, xnPtr: number, labPtr: number, distPtr: number): void;
  potentials(xPtr: number, nBlocks: number, cPtr: number, cnPtr: number, passes: number, xnPtr: number, closestPtr: number, outPtr: number, potPtr: number): void;
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
    { name: 'nearest', fn: nearestFunction(dp, blocking.nearestWidth / 4, blocking.rows) },
    { name: 'potentials', fn: potentialsFunction(dp, blocking.potentialsWidth / 4, blocking.rows) },
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
