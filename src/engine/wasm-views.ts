import type { TensorInfo, DataType } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * Helpers for kernels that run on the wasm backend: zero-copy views into a tensor's heap memory, and
 * calls of other wasm kernels from inside a kernel with their temporaries released.
 *
 * A view is a tensor id registered with the wasm module at an address inside another tensor's buffer.
 * It lets a kernel hand a slice (one batch item of a matrix product, say) to a C kernel without copying.
 * Views never reach the tfjs engine; `releaseView` unregisters them without freeing the memory, which
 * stays owned by the tensor they look into.
 */

interface WasmModuleLike {
  HEAPF32: Float32Array;
  /** The threaded build's (shared) memory. */
  wasmMemory?: WebAssembly.Memory;
  /** The module's exports; the single-threaded build exports its memory here. */
  asm?: { memory?: WebAssembly.Memory };
  cwrap(name: string, ret: string | null, args: string[]): (...a: unknown[]) => unknown;
  tfjs: { disposeData(id: number): void };
}

export function wasmModule(backend: BackendWasm): WasmModuleLike {
  return backend.wasm as unknown as WasmModuleLike;
}

/** The WebAssembly memory holding the backend's heap (shared in the threaded build). */
export function wasmMemory(backend: BackendWasm): WebAssembly.Memory {
  const mod = wasmModule(backend);
  const memory = mod.wasmMemory ?? mod.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) throw new Error('wasm backend: its module exposes no WebAssembly.Memory');
  return memory;
}

/** The wasm-side tensor id of a tensor on this backend. */
export function wasmId(backend: BackendWasm, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).id;
}

/** Byte address of a tensor's data in the wasm heap. */
export function heapAddress(backend: BackendWasm, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset;
}

/** A view of `shape` starting `elementOffset` elements into `base` (float32/int32: 4 bytes each). */
export function makeView(backend: BackendWasm, base: TensorInfo, elementOffset: number, shape: number[], dtype: DataType = base.dtype): TensorInfo {
  return backend.makeOutput(shape, dtype, heapAddress(backend, base) + 4 * elementOffset);
}

/** Unregisters a view; the memory it looked into is untouched. */
export function releaseView(backend: BackendWasm, view: TensorInfo): void {
  const data = backend.dataIdMap.get(view.dataId);
  if (!data) return;
  wasmModule(backend).tfjs.disposeData(data.id);
  backend.dataIdMap.delete(view.dataId);
}

/** Frees a tensor a kernel created for its own use (not its output). */
export function disposeTemp(backend: BackendWasm, t: TensorInfo): void {
  backend.disposeData(t.dataId);
}
