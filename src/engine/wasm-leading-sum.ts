import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { FunctionBuilder, assembleModule, I32, V128 } from '../util/wasm-assembler.ts';
import { heapAddress, wasmMemory, wasmModule } from './wasm-views.ts';
import { perMemory } from './wasm-modules.ts';
import { replaceStockKernel } from './kernel-registry.ts';

/**
 * wasm Sum over leading axes (x [R, C] -> [C] with R the product of the reduced leading dims) as one
 * SIMD pass that adds each row into the output. The stock kernel transposes the reduced axes to the end
 * first (a full copy), then sums along rows; every bias gradient is such a sum (dY [B, T, D] over B and
 * T: 39 of them per hubert-tiny step). The rows are added in order, as the stock kernel's loop does
 * after its transpose, so the sums are the same floats.
 */

function rowSumFunction(): FunctionBuilder {
  // rowSum(x, out, rows, cols, groups): out[0 .. 4 groups) += x[r, 0 .. 4 groups) for r = 0 .. rows-1, in order.
  const fn = new FunctionBuilder([I32, I32, I32, I32, I32], []);
  const [x, out, rows, cols, groups] = [0, 1, 2, 3, 4];
  const row = fn.local(I32);
  const px = fn.local(I32);
  const po = fn.local(I32);
  const g = fn.local(I32);
  const rowBytes = fn.local(I32);
  fn.get(cols).i32Const(4).i32Mul().set(rowBytes);
  fn.i32Const(0).set(row);
  fn.block().loop();
  fn.get(row).get(rows).i32LtS().i32Eqz().brIf(1);
  fn.get(x).get(row).get(rowBytes).i32Mul().i32Add().set(px);
  fn.get(out).set(po);
  fn.get(groups).set(g);
  fn.block().loop();
  fn.get(g).i32Eqz().brIf(1);
  fn.get(po).get(po).v128Load().get(px).v128Load().f32x4Add().v128Store();
  fn.get(po).i32Const(16).i32Add().set(po);
  fn.get(px).i32Const(16).i32Add().set(px);
  fn.get(g).i32Const(1).i32Sub().tee(g).brIf(0);
  fn.end().end();
  fn.get(row).i32Const(1).i32Add().tee(row).get(rows).i32LtS().brIf(0);
  fn.end().end();
  return fn;
}

type RowSum = (x: number, out: number, rows: number, cols: number, groups: number) => void;

const rowSumModule = perMemory<{ rowSum: RowSum }>((shared) => assembleModule([{ name: 'rowSum', fn: rowSumFunction() }], shared));

/**
 * p when the reduced axes are exactly 0, 1, ..., p-1 in that order (0 < p < rank), else null. The stock
 * kernel sums in the order the axes are given, so another order is left to it (same floats either way).
 */
function leadingAxes(axis: number | number[], rank: number): number | null {
  const axes = (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a));
  if (axes.length === 0 || axes.length >= rank) return null;
  for (let i = 0; i < axes.length; i++) if (axes[i] !== i) return null;
  return axes.length;
}

function leadingSum(stock: KernelConfig): KernelFunc {
  return (args) => {
    const backend = args.backend as BackendWasm;
    const x = args.inputs.x as TensorInfo;
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const p = x.dtype === 'float32' ? leadingAxes(axis, x.shape.length) : null;
    if (p === null) return stock.kernelFunc(args);
    const rows = x.shape.slice(0, p).reduce((a, b) => a * b, 1);
    const kept = x.shape.slice(p);
    const cols = kept.reduce((a, b) => a * b, 1);
    if (rows === 0 || cols === 0) return stock.kernelFunc(args);
    const outShape = keepDims ? [...new Array(p).fill(1), ...kept] : kept;
    const out = backend.makeOutput(outShape, 'float32');
    const groups = cols >> 2;
    const xAddr = heapAddress(backend, x);
    const outAddr = heapAddress(backend, out);
    const heap = wasmModule(backend).HEAPF32;
    const xb = xAddr / 4;
    const ob = outAddr / 4;
    heap.copyWithin(ob, xb, xb + cols); // row 0; the kernel adds rows 1 .. rows-1
    if (groups > 0 && rows > 1) rowSumModule(wasmMemory(backend)).rowSum(xAddr + 4 * cols, outAddr, rows - 1, cols, groups);
    if (groups * 4 < cols) {
      for (let c = groups * 4; c < cols; c++) {
        let s = heap[xb + c];
        for (let r = 1; r < rows; r++) s = Math.fround(s + heap[xb + r * cols + c]);
        heap[ob + c] = s;
      }
    }
    return out;
  };
}

/** Replaces the wasm Sum kernel with one that sums leading axes in place (idempotent). */
export function installWasmLeadingSum(): void {
  replaceStockKernel('Sum', 'wasm', leadingSum);
}
