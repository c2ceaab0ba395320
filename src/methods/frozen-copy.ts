import type * as tf from '@tensorflow/tfjs-core';
import type { Encoder } from '../models/encoder.ts';
import { buildEncoder } from '../models/registry.ts';
import type { Module } from '../nn/module.ts';
import type { JsonValue } from '../util/fields.ts';

/**
 * Helpers for networks a method keeps beside the run's encoder without training them (BYOL's EMA target,
 * a distillation teacher): build an encoder from a stored architecture, and freeze a module.
 */
export type EncoderFactory = (config: Record<string, JsonValue>) => Encoder;

/** The model registry's builder (`{kind, ...config}` as model.json stores it). */
export const registryEncoderFactory: EncoderFactory = (config) => buildEncoder(config);

/** A fresh encoder of `encoder`'s architecture (weights to be copied in by the caller). */
export function encoderLike(encoder: Encoder, factory: EncoderFactory): Encoder {
  return factory({ ...(encoder.config as Record<string, JsonValue>), kind: encoder.kind });
}

/** Marks every variable of `m` non-trainable, puts it in evaluation mode, and returns its variables. */
export function freeze(m: Module): Map<string, tf.Variable> {
  const vars = m.namedParameters();
  for (const v of vars.values()) v.trainable = false;
  m.eval();
  return vars;
}

/** `vars` with `prefix` before every name. */
export function prefixed(prefix: string, vars: Map<string, tf.Variable>): Map<string, tf.Variable> {
  return new Map([...vars].map(([n, v]) => [prefix + n, v]));
}
