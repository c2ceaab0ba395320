import * as tf from '@tensorflow/tfjs-core';
import type { Encoder } from '../models/encoder.ts';
import type { RunMethod } from './losses.ts';
import { ENCODER_PREFIX, type TensorRole } from '../checkpoint/checkpoint.ts';
import type { NamedArray } from '../checkpoint/safetensors.ts';


/**
 * Every tensor of a run by name: what the optimiser updates (`trainable`: the encoder's trainable
 * parameters as `encoder.*`, and each method's `parameters()`), and what is only checkpointed
 * (`buffers`: the encoder's non-trainable variables, each method's `buffers()`). A name listed twice with
 * the same variable is one parameter; with different variables, or as both parameter and buffer, an error.
 */
export interface RunTensors {
  trainable: Map<string, tf.Variable>;
  buffers: Map<string, tf.Variable>;
  roles: Map<string, TensorRole>;
}

export function collectRunTensors(encoder: Encoder, methods: RunMethod[]): RunTensors {
  const trainable = new Map<string, tf.Variable>();
  const buffers = new Map<string, tf.Variable>();
  const roles = new Map<string, TensorRole>();
  const owner = new Map<string, string>();
  const add = (map: Map<string, tf.Variable>, name: string, v: tf.Variable, role: TensorRole, who: string) => {
    const other = trainable.get(name) ?? buffers.get(name);
    if (other && (other !== v || !map.has(name))) {
      throw new Error(`tensor name "${name}" is claimed by ${owner.get(name)} and ${who} with ${other === v ? 'different roles' : 'different variables'}`);
    }
    map.set(name, v);
    if (!roles.has(name)) roles.set(name, role);
    if (!owner.has(name)) owner.set(name, who);
  };
  for (const [n, v] of encoder.namedParameters(ENCODER_PREFIX)) add(v.trainable ? trainable : buffers, n, v, v.trainable ? 'encoder' : 'buffer', 'the encoder');
  for (const m of methods) {
    const who = `method "${m.key}"`;
    for (const [n, v] of m.method.parameters()) {
      if (!v.trainable) throw new Error(`${who} lists "${n}" as a parameter but the variable is not trainable (frozen variables belong in buffers())`);
      add(trainable, n, v, n.startsWith(ENCODER_PREFIX) ? 'encoder' : 'method', who);
    }
    for (const [n, v] of m.method.buffers?.() ?? []) add(buffers, n, v, 'buffer', who);
  }
  return { trainable, buffers, roles };
}

/** Host copies of variables (for checkpoints). */
export function snapshot(vars: Map<string, tf.Variable>): Map<string, NamedArray> {
  const out = new Map<string, NamedArray>();
  for (const [n, v] of vars) out.set(n, { shape: [...v.shape], data: Float32Array.from(v.dataSync() as Float32Array) });
  return out;
}

/** Assigns checkpointed arrays to variables; every variable must be present with its shape. */
export function restore(vars: Map<string, tf.Variable>, arrays: Map<string, NamedArray>, where: string): void {
  for (const [n, v] of vars) {
    const a = arrays.get(n);
    if (!a) throw new Error(`${where}: tensor "${n}" is missing (the run's model differs from the checkpoint's)`);
    if (a.shape.join(',') !== v.shape.join(',')) throw new Error(`${where}: tensor "${n}" has shape [${a.shape}], the model expects [${v.shape}]`);
    const t = tf.tensor(a.data, a.shape, 'float32');
    v.assign(t);
    t.dispose();
  }
}
