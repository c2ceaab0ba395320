/**
 * The engine's hand-assembled WebAssembly modules run on the wasm backend's own memory (they import it
 * as `env.memory`, so operands and results are the tensors' buffers). A module is compiled and
 * instantiated once per memory; the threaded build's memory is shared, and the module's import must
 * say so.
 */

export function isSharedMemory(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}

/** A function giving the exports of `bytes(shared)` instantiated on a memory, once per memory. */
export function perMemory<E>(bytes: (sharedMemory: boolean) => Uint8Array<ArrayBuffer>): (memory: WebAssembly.Memory) => E {
  const instances = new WeakMap<WebAssembly.Memory, E>();
  return (memory) => {
    let e = instances.get(memory);
    if (!e) {
      e = new WebAssembly.Instance(new WebAssembly.Module(bytes(isSharedMemory(memory))), { env: { memory } }).exports as unknown as E;
      instances.set(memory, e);
    }
    return e;
  };
}
