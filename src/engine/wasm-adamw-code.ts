import { FunctionBuilder, assembleModule, F32, I32, V128 } from '../util/wasm-assembler.ts';

/**
 * One AdamW update of a parameter as a single WebAssembly SIMD pass (the composite form is 13 kernels
 * per parameter, ~900 per hubert-tiny step). The float32 operations are the composite's, in its order,
 * so the results are the same floats (IEEE square root and division are correctly rounded both ways):
 *
 *   m' = m b1 + g (1 - b1)        v' = v b2 + (g g) (1 - b2)
 *   p' = p decay - (m' / (sqrt(v') + epsHat)) stepSize
 *
 *   adamw(p, g, m, v, pOut, mOut, vOut, groups, b1, oneMinusB1, b2, oneMinusB2, decay, epsHat, stepSize)
 * over 4-float groups; `decay` 1 skips the decay product (the composite then uses p itself, and p * 1 = p).
 */
function adamwFunction(): FunctionBuilder {
  const fn = new FunctionBuilder([I32, I32, I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32], []);
  const [p, g, m, v, pOut, mOut, vOut, groups] = [0, 1, 2, 3, 4, 5, 6, 7];
  const scalars = [8, 9, 10, 11, 12, 13, 14];
  const [b1, omb1, b2, omb2, decay, epsHat, stepSize] = scalars.map(() => fn.local(V128));
  scalars.forEach((s, i) => fn.get(s).f32x4Splat().set([b1, omb1, b2, omb2, decay, epsHat, stepSize][i]));
  const gv = fn.local(V128);
  const mv = fn.local(V128);
  const vv = fn.local(V128);
  fn.block();
  fn.get(groups).i32Eqz().brIf(0);
  fn.loop();
  fn.get(g).v128Load().set(gv);
  fn.get(m).v128Load().get(b1).f32x4Mul().get(gv).get(omb1).f32x4Mul().f32x4Add().set(mv);
  fn.get(v).v128Load().get(b2).f32x4Mul().get(gv).get(gv).f32x4Mul().get(omb2).f32x4Mul().f32x4Add().set(vv);
  fn.get(mOut).get(mv).v128Store();
  fn.get(vOut).get(vv).v128Store();
  fn.get(pOut);
  fn.get(p).v128Load().get(decay).f32x4Mul();
  fn.get(mv).get(vv).f32x4Sqrt().get(epsHat).f32x4Add().f32x4Div().get(stepSize).f32x4Mul();
  fn.f32x4Sub().v128Store();
  for (const ptr of [p, g, m, v, pOut, mOut, vOut]) fn.get(ptr).i32Const(16).i32Add().set(ptr);
  fn.get(groups).i32Const(1).i32Sub().tee(groups).brIf(0);
  fn.end();
  fn.end();
  return fn;
}

export function adamwModuleBytes(sharedMemory: boolean): Uint8Array<ArrayBuffer> {
  return assembleModule([{ name: 'adamw', fn: adamwFunction() }], sharedMemory);
}
