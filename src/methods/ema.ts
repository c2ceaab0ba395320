import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../nn/module.ts';

/**
 * Exponential moving average targets (BYOL, Grill et al. 2020, sec. 3.1): after each update of the
 * online parameters theta, the target parameters xi follow
 *
 *   xi <- tau * xi + (1 - tau) * theta,
 *   tau_k = 1 - (1 - tau_0) * (cos(pi k / K) + 1) / 2        (k = step, K = total steps),
 *
 * so tau rises from tau_0 (0.99 by default here, BYOL's 0.996 on ImageNet) to 1 on a cosine. Target
 * and online are matched by parameter name; every target parameter must have an online twin of the
 * same shape. Target variables should be created non-trainable so no gradient reaches them.
 */
export type ParameterSet = Module | Map<string, tf.Variable>;

function params(p: ParameterSet): Map<string, tf.Variable> {
  return p instanceof Module ? p.namedParameters() : p;
}

/** tau at `step` of `totalSteps` on BYOL's cosine schedule from `base` to `final` (final = 1 in BYOL). */
export function cosineEmaMomentum(step: number, totalSteps: number, base = 0.99, final = 1): number {
  if (!(totalSteps > 0)) throw new Error(`ema: totalSteps must be positive, got ${totalSteps}`);
  const k = Math.min(Math.max(step, 0), totalSteps);
  return final - (final - base) * (Math.cos((Math.PI * k) / totalSteps) + 1) / 2;
}

function pairs(target: ParameterSet, online: ParameterSet): Array<[tf.Variable, tf.Variable]> {
  const src = params(online);
  const out: Array<[tf.Variable, tf.Variable]> = [];
  for (const [name, t] of params(target)) {
    const o = src.get(name);
    if (!o) throw new Error(`ema: target parameter "${name}" has no online parameter of that name`);
    if (o.shape.join(',') !== t.shape.join(',')) throw new Error(`ema: parameter "${name}" is [${t.shape}] in the target and [${o.shape}] online`);
    out.push([t, o]);
  }
  return out;
}

/** xi <- tau * xi + (1 - tau) * theta for every target parameter, in place. */
export function emaUpdate(target: ParameterSet, online: ParameterSet, tau: number): void {
  if (!(tau >= 0 && tau <= 1)) throw new Error(`ema: tau must be in [0, 1], got ${tau}`);
  for (const [t, o] of pairs(target, online)) {
    tf.tidy(() => t.assign(tf.add(tf.mul(t, tau), tf.mul(o, 1 - tau))));
  }
}

/** xi <- theta (the target's initialisation). */
export function copyParameters(target: ParameterSet, online: ParameterSet): void {
  for (const [t, o] of pairs(target, online)) t.assign(o);
}
