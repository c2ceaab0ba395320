import * as tf from '@tensorflow/tfjs-core';
import { ADAMW_KERNEL, hasAdamWKernel, type AdamWKernelAttrs } from '../engine/adamw-kernel.ts';
import { InputError } from '../util/errors.ts';

/**
 * AdamW as PyTorch's `torch.optim.AdamW` defines it (Loshchilov & Hutter, decoupled weight decay):
 *
 *   p <- p * (1 - lr * weight_decay)                      (skipped for no-decay parameters)
 *   m <- beta1 * m + (1 - beta1) * g
 *   v <- beta2 * v + (1 - beta2) * g^2
 *   p <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 *
 * with `t` counted per parameter (a parameter that gets no gradient in a step keeps its state and is
 * not decayed, as PyTorch skips parameters whose `.grad` is None). The last line is computed as
 * `m / (sqrt(v) + eps * sqrt(bc2)) * (lr * sqrt(bc2) / bc1)`, which is the same value with one kernel less.
 * Where the backend has the engine's AdamW kernel (engine/adamw-kernel.ts: wasm and cpu) each parameter's
 * update is that one kernel, which computes the same float32 operations in the same order.
 */
export interface AdamWOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** True for parameters that take no weight decay (biases, norms, embeddings...). */
  noDecay: (name: string) => boolean;
  /**
   * The factor on `lr` for a parameter (PyTorch's parameter groups with their own lr, scheduled with the
   * rest): its step size and its decay `1 - lr * factor * weightDecay` use lr x factor. 1 when absent.
   */
  lrScale?: (name: string) => number;
}

/** PyTorch's defaults. */
export const ADAMW_DEFAULTS: Omit<AdamWOptions, 'noDecay'> = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };

/** The usual no-decay rule: 1-D parameters (biases, norm gains) and names ending in `bias`. */
export function defaultNoDecay(name: string, shape?: readonly number[]): boolean {
  if (shape && shape.length <= 1) return true;
  return /(^|\.)(bias|b)$/.test(name) || /(norm|ln)[^.]*\.(weight|gain|scale)$/i.test(name);
}

/**
 * `lrScale` for AdamW from factors by name prefix (the run config's `optim.lrScale`): the longest prefix
 * a name starts with gives its factor, 1 when none does. A prefix that names none of `names` is an error
 * (a misspelt group would otherwise train at the base rate unnoticed). Undefined for an empty map.
 */
export function lrScaleByPrefix(factors: Record<string, number>, names: readonly string[]): ((name: string) => number) | undefined {
  const prefixes = Object.keys(factors).sort((a, b) => b.length - a.length);
  if (prefixes.length === 0) return undefined;
  for (const p of prefixes) {
    if (!names.some((n) => n.startsWith(p))) {
      const roots = [...new Set(names.map((n) => n.split('.').slice(0, 2).join('.')))].slice(0, 12);
      throw new InputError(`no trainable parameter's name starts with "${p}" (names start with: ${roots.join(', ')}, ...)`, { field: 'optim.lrScale' });
    }
  }
  // The names are known now: each one's factor is looked up once, not at every step.
  const factorOf = new Map<string, number>();
  for (const n of names) {
    const p = prefixes.find((q) => n.startsWith(q));
    if (p !== undefined) factorOf.set(n, factors[p]);
  }
  return (name) => factorOf.get(name) ?? 1;
}

/** Optimiser state for one parameter, as exported for checkpoints. */
export interface AdamWParamState {
  step: number;
  expAvg: tf.Tensor;
  expAvgSq: tf.Tensor;
}

interface Slot {
  step: number;
  m: tf.Variable;
  v: tf.Variable;
}

export class AdamW {
  readonly options: AdamWOptions;
  private readonly slots = new Map<string, Slot>();

  constructor(options: Partial<AdamWOptions> = {}) {
    this.options = { ...ADAMW_DEFAULTS, noDecay: () => false, ...options };
    const o = this.options;
    if (!(o.lr >= 0)) throw new Error(`AdamW: lr must be >= 0, got ${o.lr}`);
    if (!(o.beta1 >= 0 && o.beta1 < 1)) throw new Error(`AdamW: beta1 must be in [0, 1), got ${o.beta1}`);
    if (!(o.beta2 >= 0 && o.beta2 < 1)) throw new Error(`AdamW: beta2 must be in [0, 1), got ${o.beta2}`);
    if (!(o.eps >= 0)) throw new Error(`AdamW: eps must be >= 0, got ${o.eps}`);
    if (!(o.weightDecay >= 0)) throw new Error(`AdamW: weightDecay must be >= 0, got ${o.weightDecay}`);
  }

  get lr(): number {
    return this.options.lr;
  }

  /** Sets the learning rate for the next steps (schedules call this once per update). */
  set lr(value: number) {
    if (!(value >= 0) || !Number.isFinite(value)) throw new Error(`AdamW: lr must be a finite number >= 0, got ${value}`);
    this.options.lr = value;
  }

  /**
   * Applies one update to every parameter in `params` that has a gradient in `grads` (same names).
   * Gradients are read, not disposed. A gradient whose name is not a parameter is an error.
   */
  step(params: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>): void {
    for (const [name, g] of grads) {
      const p = params.get(name);
      if (!p) throw new Error(`AdamW: gradient for unknown parameter "${name}"`);
      if (g.shape.join(',') !== p.shape.join(',')) throw new Error(`AdamW: gradient for "${name}" has shape [${g.shape}], parameter has [${p.shape}]`);
    }
    const { beta1, beta2, eps, weightDecay, lr } = this.options;
    const fused = grads.size > 0 && hasAdamWKernel() && [...grads.values()].every((g) => g.dtype === 'float32');
    tf.tidy(() => {
      // Scalars that depend on a parameter's step count, shared by every parameter at that count.
      const perStep = new Map<number, { epsHat: number; sqrtBc2: number; bc1: number }>();
      const scalars = new Map<number, tf.Scalar>();
      const scalar = (v: number) => {
        let t = scalars.get(v);
        if (!t) scalars.set(v, (t = tf.scalar(v)));
        return t;
      };
      for (const [name, g] of grads) {
        const p = params.get(name)!;
        const slot = this.slot(name, p);
        slot.step += 1;
        let sc = perStep.get(slot.step);
        if (!sc) {
          const bc1 = 1 - Math.pow(beta1, slot.step);
          const sqrtBc2 = Math.sqrt(1 - Math.pow(beta2, slot.step));
          sc = { epsHat: eps * sqrtBc2, sqrtBc2, bc1 };
          perStep.set(slot.step, sc);
        }
        const lrP = lr * (this.options.lrScale?.(name) ?? 1);
        const stepSize = (lrP * sc.sqrtBc2) / sc.bc1;
        const decay = weightDecay > 0 && !this.options.noDecay(name) ? 1 - lrP * weightDecay : 1;
        if (fused) {
          const attrs: AdamWKernelAttrs = { beta1, oneMinusBeta1: 1 - beta1, beta2, oneMinusBeta2: 1 - beta2, decay, epsHat: sc.epsHat, stepSize };
          const [pNew, mNew, vNew] = tf.engine().runKernel(ADAMW_KERNEL, { param: p, grad: g, expAvg: slot.m, expAvgSq: slot.v }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
          slot.m.assign(mNew);
          slot.v.assign(vNew);
          p.assign(pNew);
          continue;
        }
        const m = tf.add(tf.mul(slot.m, scalar(beta1)), tf.mul(g, scalar(1 - beta1)));
        const v = tf.add(tf.mul(slot.v, scalar(beta2)), tf.mul(tf.square(g), scalar(1 - beta2)));
        const base = decay !== 1 ? tf.mul(p, scalar(decay)) : p;
        const update = tf.mul(tf.div(m, tf.add(tf.sqrt(v), scalar(sc.epsHat))), scalar(stepSize));
        slot.m.assign(m);
        slot.v.assign(v);
        p.assign(tf.sub(base, update));
      }
    });
  }

  private slot(name: string, p: tf.Variable): Slot {
    let s = this.slots.get(name);
    if (!s) {
      s = { step: 0, m: zeroVariable(p), v: zeroVariable(p) };
      this.slots.set(name, s);
    }
    return s;
  }

  /** Number of updates applied to `name` so far (0 if never updated). */
  stepOf(name: string): number {
    return this.slots.get(name)?.step ?? 0;
  }

  /**
   * The state keyed by parameter name. The tensors are copies owned by the caller (dispose them);
   * the optimiser keeps its own.
   */
  exportState(): Map<string, AdamWParamState> {
    const out = new Map<string, AdamWParamState>();
    for (const [name, s] of this.slots) out.set(name, { step: s.step, expAvg: s.m.clone(), expAvgSq: s.v.clone() });
    return out;
  }

  /** Replaces the state with `state` (tensors are copied; the caller keeps ownership of its own). */
  importState(state: Map<string, AdamWParamState>): void {
    this.disposeState();
    for (const [name, s] of state) {
      if (s.expAvg.shape.join(',') !== s.expAvgSq.shape.join(',')) throw new Error(`AdamW state for "${name}": moment shapes differ`);
      if (!Number.isInteger(s.step) || s.step < 0) throw new Error(`AdamW state for "${name}": step must be a non-negative integer, got ${s.step}`);
      // tf.variable shares the tensor's data (reference-counted), so the caller may dispose its copy.
      this.slots.set(name, { step: s.step, m: tf.variable(s.expAvg, false), v: tf.variable(s.expAvgSq, false) });
    }
  }

  /** Frees the moment tensors. */
  disposeState(): void {
    for (const s of this.slots.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    this.slots.clear();
  }

  dispose(): void {
    this.disposeState();
  }
}

function zeroVariable(like: tf.Tensor): tf.Variable {
  const z = tf.zeros(like.shape, 'float32');
  const v = tf.variable(z, false);
  z.dispose();
  return v;
}
