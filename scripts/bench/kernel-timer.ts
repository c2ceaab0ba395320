import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * Wall-clock time per kernel call, keyed by kernel name, matrix-product transposes (NN/NT/TN/TT) and
 * input shapes. Every kernel registered for the backend is wrapped once; only outermost calls are
 * timed, so a kernel that runs others inside it (a fast path calling Transpose) is counted once, and
 * the table sums to the time spent inside kernels (the rest of a step is the engine's bookkeeping).
 * Unlike tf.profile this records no composite scopes (customGrad), which would count their kernels twice.
 */
export interface KernelTimer {
  start(): void;
  stop(): void;
  /** Milliseconds per kernel name, the `top` largest. */
  byKernel(top: number): Record<string, number>;
  /** A printable table: total, then the `top` largest (kernel, transposes, shapes) entries. */
  table(top: number, title: string): string;
}

interface Entry {
  ms: number;
  calls: number;
}

const timers = new Map<string, { stats: Map<string, Entry>; on: boolean }>();

function keyOf(name: string, args: Parameters<KernelFunc>[0]): string {
  const shapes = Object.values(args.inputs).map((t) => (t ? `[${(t as TensorInfo).shape}]` : '-')).join(' ');
  const attrs = args.attrs as Record<string, unknown> | undefined;
  const tr = attrs && 'transposeA' in attrs ? ` ${attrs.transposeA ? 'T' : 'N'}${attrs.transposeB ? 'T' : 'N'}` : '';
  return `${name}${tr} ${shapes}`;
}

export function timeKernels(backend: string): KernelTimer {
  let state = timers.get(backend);
  if (!state) {
    const s = { stats: new Map<string, Entry>(), on: false };
    state = s;
    timers.set(backend, s);
    let depth = 0;
    for (const cfg of tf.getKernelsForBackend(backend)) {
      const inner = cfg.kernelFunc;
      (cfg as KernelConfig & { kernelFunc: KernelFunc }).kernelFunc = (args) => {
        if (!s.on || depth > 0) {
          depth++;
          try {
            return inner(args);
          } finally {
            depth--;
          }
        }
        depth++;
        const t0 = performance.now();
        try {
          return inner(args);
        } finally {
          depth--;
          const ms = performance.now() - t0;
          const key = keyOf(cfg.kernelName, args);
          const e = s.stats.get(key) ?? { ms: 0, calls: 0 };
          e.ms += ms;
          e.calls += 1;
          s.stats.set(key, e);
        }
      };
    }
  }
  const st = state;
  const byName = (): [string, number][] => {
    const m = new Map<string, number>();
    for (const [k, v] of st.stats) {
      const n = k.split(' ')[0];
      m.set(n, (m.get(n) ?? 0) + v.ms);
    }
    return [...m].sort((a, b) => b[1] - a[1]);
  };
  return {
    start() {
      st.stats.clear();
      st.on = true;
    },
    stop() {
      st.on = false;
    },
    byKernel(top) {
      return Object.fromEntries(byName().slice(0, top).map(([k, v]) => [k, Math.round(v * 10) / 10]));
    },
    table(top, title) {
      let total = 0;
      let calls = 0;
      for (const v of st.stats.values()) {
        total += v.ms;
        calls += v.calls;
      }
      const lines = [`${title}: ${total.toFixed(0)} ms in ${calls} kernel calls`];
      for (const [k, v] of byName().slice(0, 12)) lines.push(`  ${v.toFixed(1).padStart(8)} ms  ${k}`);
      lines.push('  by op, transposes and input shapes:');
      for (const [k, v] of [...st.stats].sort((a, b) => b[1].ms - a[1].ms).slice(0, top)) lines.push(`  ${v.ms.toFixed(1).padStart(8)} ms ${String(v.calls).padStart(4)}x ${k}`);
      return `${lines.join('\n')}\n`;
    },
  };
}
