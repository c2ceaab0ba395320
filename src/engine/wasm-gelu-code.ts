import { FunctionBuilder, assembleModule, I32, V128 } from '../util/wasm-assembler.ts';

/**
 * GELU and its gradient as one WebAssembly SIMD pass each, four floats at a time, on the wasm backend's
 * heap. The composite form (Erf, Exp, five Multiply/Add kernels) costs ~190 ms of a hubert-tiny step,
 * mostly in the stock Exp and Erf kernels' scalar loops; these two passes do the same arithmetic.
 *
 *   Phi(x) = (1 + erf(x / sqrt 2)) / 2        gelu(x) = x Phi(x)        gelu'(x) = Phi(x) + x phi(x)
 *
 * erf(z) for z = |x| / sqrt 2 is Abramowitz & Stegun 7.1.26: 1 - t (a1 + t (a2 + ... + t a5)) e^{-z^2}
 * with t = 1 / (1 + p z), absolute error below 1.5e-7 (the formula tfjs's own cpu Erf uses); the sign
 * of x is copied onto it. e^{-z^2} = e^{-x^2 / 2} is also sqrt(2 pi) phi(x), so the gradient needs no
 * second exponential. The exponential is computed as 2^n e^r with n = round(w log2 e), r = w - n ln 2
 * (ln 2 split in two for exactness), e^r by the degree-7 polynomial of Cephes' expf (relative error
 * ~1e-7 on |r| <= ln 2 / 2), and 2^n built in the exponent bits; w is clamped at -87 so 2^n stays normal.
 *
 * Functions (byte addresses, counts of 4-float groups; the caller finishes a tail of < 4 floats):
 *   gelu(x, y, groups)             y = gelu(x)
 *   geluGrad(x, dy, dx, groups)    dx = dy * gelu'(x)
 */

export const GELU_CONSTANTS = {
  invSqrt2: Math.SQRT1_2,
  invSqrt2Pi: 1 / Math.sqrt(2 * Math.PI),
  p: 0.3275911,
  a: [0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429],
  log2e: Math.LOG2E,
  ln2Hi: 0.693359375,
  ln2Lo: -2.12194440e-4,
  /** Cephes expf: e^r ~ 1 + r + r^2 (c0 + r (c1 + ... + r c5)). */
  expPoly: [5.0000001201e-1, 1.6666665459e-1, 4.1665795894e-2, 8.3334519073e-3, 1.3981999507e-3, 1.9875691500e-4],
  minExponent: -87,
};

type Consts = Record<string, number>;

/** Splats every constant into a v128 local once, before the loop. */
function loadConstants(fn: FunctionBuilder): Consts {
  const k = GELU_CONSTANTS;
  const scalars: Record<string, number> = {
    one: 1, half: 0.5, invSqrt2: k.invSqrt2, invSqrt2Pi: k.invSqrt2Pi, p: k.p, log2e: k.log2e, ln2Hi: k.ln2Hi, ln2Lo: k.ln2Lo, minExponent: k.minExponent,
    ...Object.fromEntries(k.a.map((v, i) => [`a${i}`, v])),
    ...Object.fromEntries(k.expPoly.map((v, i) => [`c${i}`, v])),
  };
  const out: Consts = {};
  for (const [name, v] of Object.entries(scalars)) {
    out[name] = fn.local(V128);
    fn.f32Const(v).f32x4Splat().set(out[name]);
  }
  out.sign = fn.local(V128);
  fn.v128ConstI32([0x80000000 | 0, 0x80000000 | 0, 0x80000000 | 0, 0x80000000 | 0]).set(out.sign);
  out.bias = fn.local(V128);
  fn.v128ConstI32([127, 127, 127, 127]).set(out.bias);
  return out;
}

/** Reads v (a v128 local); leaves cdf = Phi(v) and e = exp(-v^2 / 2) in the given locals. */
function emitCdf(fn: FunctionBuilder, k: Consts, v: number, cdf: number, e: number): void {
  const z = fn.local(V128);
  const t = fn.local(V128);
  const w = fn.local(V128);
  const n = fn.local(V128);
  const r = fn.local(V128);
  fn.get(v).f32x4Abs().get(k.invSqrt2).f32x4Mul().set(z);
  fn.get(k.one).get(k.one).get(k.p).get(z).f32x4Mul().f32x4Add().f32x4Div().set(t);
  // w = max(-z^2, minExponent); n = round(w log2 e); r = w - n ln2
  fn.get(z).get(z).f32x4Mul().f32x4Neg().get(k.minExponent).f32x4Max().set(w);
  fn.get(w).get(k.log2e).f32x4Mul().f32x4Nearest().set(n);
  fn.get(w).get(n).get(k.ln2Hi).f32x4Mul().f32x4Sub().get(n).get(k.ln2Lo).f32x4Mul().f32x4Sub().set(r);
  // e = (1 + r + r^2 poly(r)) * 2^n
  fn.get(k.c5).get(r).f32x4Mul().get(k.c4).f32x4Add();
  for (const c of ['c3', 'c2', 'c1', 'c0']) fn.get(r).f32x4Mul().get(k[c]).f32x4Add();
  fn.get(r).get(r).f32x4Mul().f32x4Mul().get(r).f32x4Add().get(k.one).f32x4Add();
  fn.get(n).i32x4TruncSatF32x4S().get(k.bias).i32x4Add().i32Const(23).i32x4Shl();
  fn.f32x4Mul().set(e);
  // |erf| = 1 - t (a0 + t (a1 + ... + t a4)) e; erf takes the sign of v; cdf = (1 + erf) / 2
  fn.get(k.one);
  fn.get(k.a4).get(t).f32x4Mul().get(k.a3).f32x4Add();
  for (const a of ['a2', 'a1', 'a0']) fn.get(t).f32x4Mul().get(k[a]).f32x4Add();
  fn.get(t).f32x4Mul().get(e).f32x4Mul().f32x4Sub();
  fn.get(v).get(k.sign).v128And().v128Xor();
  fn.get(k.half).f32x4Mul().get(k.half).f32x4Add().set(cdf);
}

/** Emits `while (groups--) { body; pointers += 16 }` around `body`. */
function emitLoop(fn: FunctionBuilder, groups: number, pointers: number[], body: () => void): void {
  fn.block().loop();
  fn.get(groups).i32Eqz().brIf(1);
  body();
  for (const p of pointers) fn.get(p).i32Const(16).i32Add().set(p);
  fn.get(groups).i32Const(1).i32Sub().tee(groups).brIf(0);
  fn.end().end();
}

function geluFunction(): FunctionBuilder {
  const fn = new FunctionBuilder([I32, I32, I32], []);
  const [x, y, groups] = [0, 1, 2];
  const k = loadConstants(fn);
  const v = fn.local(V128);
  const cdf = fn.local(V128);
  const e = fn.local(V128);
  emitLoop(fn, groups, [x, y], () => {
    fn.get(x).v128Load().set(v);
    emitCdf(fn, k, v, cdf, e);
    fn.get(y).get(v).get(cdf).f32x4Mul().v128Store();
  });
  return fn;
}

function geluGradFunction(): FunctionBuilder {
  const fn = new FunctionBuilder([I32, I32, I32, I32], []);
  const [x, dy, dx, groups] = [0, 1, 2, 3];
  const k = loadConstants(fn);
  const v = fn.local(V128);
  const cdf = fn.local(V128);
  const e = fn.local(V128);
  emitLoop(fn, groups, [x, dy, dx], () => {
    fn.get(x).v128Load().set(v);
    emitCdf(fn, k, v, cdf, e);
    // dx = dy * (cdf + v e / sqrt(2 pi))
    fn.get(dx).get(dy).v128Load().get(cdf).get(v).get(e).f32x4Mul().get(k.invSqrt2Pi).f32x4Mul().f32x4Add().f32x4Mul().v128Store();
  });
  return fn;
}

export function geluModuleBytes(sharedMemory: boolean): Uint8Array<ArrayBuffer> {
  return assembleModule([{ name: 'gelu', fn: geluFunction() }, { name: 'geluGrad', fn: geluGradFunction() }], sharedMemory);
}
