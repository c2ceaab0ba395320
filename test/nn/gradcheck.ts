import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../src/util/rng.ts';

/**
 * Finite-difference gradient checks that stay meaningful in float32.
 *
 * The loss is L = sum(f(vars) * R) / sqrt(|R|) for a fixed random R, so every output element matters
 * and L stays O(1). For each variable and several random directions u (unit RMS), the central difference
 * (L(v + eps u) - L(v - eps u)) / 2 eps is compared with <dL/dv, u> from autodiff. A directional
 * derivative sums over every element, so float32 rounding in L (~1e-7 relative) is small against
 * eps = 1e-2, while the O(eps^2) truncation error stays ~1e-4 for the smooth functions checked here.
 * A handful of single elements are checked too, so a gradient that is right on average but wrong
 * per element cannot pass.
 */
export interface GradCheckOptions {
  eps?: number;
  /** Relative tolerance on each directional derivative. */
  rtol?: number;
  /** Absolute tolerance (in units of the loss, which is O(1)). */
  atol?: number;
  directions?: number;
  elements?: number;
  seed?: number;
}

export function gradCheck(name: string, vars: Map<string, tf.Variable>, f: () => tf.Tensor, opts: GradCheckOptions = {}): void {
  const eps = opts.eps ?? 1e-2;
  const rtol = opts.rtol ?? 2e-2;
  const atol = opts.atol ?? 2e-3;
  const rng = new Rng(opts.seed ?? 1234);
  const probe = tf.tidy(() => f());
  const r = tf.tensor(rng.normalArray(probe.size), probe.shape, 'float32');
  const norm = 1 / Math.sqrt(probe.size);
  probe.dispose();
  const loss = () => tf.tidy(() => tf.mul(tf.sum(tf.mul(f(), r)), norm)) as tf.Scalar;
  const list = [...vars.values()];
  const { grads } = tf.variableGrads(loss, list);
  const evalAt = (v: tf.Variable, base: tf.Tensor, delta: tf.Tensor) => {
    v.assign(tf.tidy(() => tf.add(base, delta)));
    const l = loss();
    const value = l.dataSync()[0];
    l.dispose();
    return value;
  };
  try {
    for (const [key, v] of vars) {
      const g = grads[v.name];
      assert.ok(g, `${name}: no gradient for ${key}`);
      const gv = g.dataSync();
      for (const x of gv) assert.ok(Number.isFinite(x), `${name}: non-finite gradient in ${key}`);
      const base = tf.clone(v);
      const checks: { label: string; u: Float32Array }[] = [];
      for (let d = 0; d < (opts.directions ?? 3); d++) checks.push({ label: `direction ${d}`, u: rng.normalArray(v.size) });
      for (let e = 0; e < Math.min(opts.elements ?? 3, v.size); e++) {
        const u = new Float32Array(v.size);
        const idx = rng.int(v.size);
        u[idx] = 1;
        checks.push({ label: `element ${idx}`, u });
      }
      for (const { label, u } of checks) {
        const plus = tf.tensor(u.map((x) => x * eps), v.shape, 'float32');
        const minus = tf.tensor(u.map((x) => -x * eps), v.shape, 'float32');
        const lp = evalAt(v, base, plus);
        const lm = evalAt(v, base, minus);
        v.assign(base);
        plus.dispose();
        minus.dispose();
        const fd = (lp - lm) / (2 * eps);
        let an = 0;
        for (let i = 0; i < u.length; i++) an += gv[i] * u[i];
        const tol = atol + rtol * Math.max(Math.abs(fd), Math.abs(an));
        assert.ok(Math.abs(fd - an) <= tol, `${name}: ${key} ${label}: finite difference ${fd} vs autodiff ${an} (tol ${tol})`);
      }
      base.dispose();
    }
  } finally {
    tf.dispose(Object.values(grads));
    r.dispose();
  }
}

/** A variable of seeded normal values (std `std`). */
export function randomVariable(rng: Rng, shape: number[], std = 1, name?: string): tf.Variable {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.variable(tf.tensor(rng.normalArray(n, std), shape, 'float32'), true, name);
}

/** Max |a - b| relative to max |b| (both read back). */
export function maxRelDiff(a: tf.Tensor, b: tf.Tensor): number {
  const av = a.dataSync();
  const bv = b.dataSync();
  assert.equal(av.length, bv.length, 'sizes differ');
  let d = 0;
  let s = 1e-12;
  for (let i = 0; i < av.length; i++) {
    d = Math.max(d, Math.abs(av[i] - bv[i]));
    s = Math.max(s, Math.abs(bv[i]));
  }
  return d / s;
}
