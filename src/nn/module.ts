import * as tf from '@tensorflow/tfjs-core';

/**
 * Base of every layer and model: owns named trainable variables and named child modules.
 * Names compose with dots (`encoder.layers.3.attn.q.weight`); checkpoints and the ONNX exporter
 * key everything by these names, so they are part of the file formats.
 */
export abstract class Module {
  private readonly ownParams = new Map<string, tf.Variable>();
  private readonly childModules = new Map<string, Module>();
  /** False while the module runs in evaluation mode (dropout off, etc.). */
  training = true;

  /** Registers a trainable variable under `name` (unique within this module). */
  protected param(name: string, init: tf.Tensor, trainable = true): tf.Variable {
    if (this.ownParams.has(name) || this.childModules.has(name)) throw new Error(`duplicate parameter name "${name}"`);
    const v = tf.variable(init, trainable);
    init.dispose();
    this.ownParams.set(name, v);
    return v;
  }

  /** Registers a child module under `name`; returns it. */
  protected child<M extends Module>(name: string, m: M): M {
    if (this.ownParams.has(name) || this.childModules.has(name)) throw new Error(`duplicate child name "${name}"`);
    this.childModules.set(name, m);
    return m;
  }

  /** Every variable of this module and its descendants, keyed by dotted name, in registration order. */
  namedParameters(prefix = ''): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [n, v] of this.ownParams) out.set(prefix + n, v);
    for (const [n, m] of this.childModules) for (const [k, v] of m.namedParameters(`${prefix}${n}.`)) out.set(k, v);
    return out;
  }

  /** Only the trainable variables. */
  trainableParameters(prefix = ''): Map<string, tf.Variable> {
    return new Map([...this.namedParameters(prefix)].filter(([, v]) => v.trainable));
  }

  namedChildren(): Map<string, Module> {
    return new Map(this.childModules);
  }

  /** Sets training/eval mode recursively. */
  train(on = true): this {
    this.training = on;
    for (const m of this.childModules.values()) m.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Total number of scalar parameters. */
  numParameters(): number {
    let n = 0;
    for (const v of this.namedParameters().values()) n += v.size;
    return n;
  }

  /** Copies values in from a name -> tensor map; every parameter must be present with its shape. */
  loadState(state: Map<string, tf.Tensor> | Record<string, tf.Tensor>, strict = true): void {
    const get = (k: string) => (state instanceof Map ? state.get(k) : state[k]);
    for (const [name, v] of this.namedParameters()) {
      const t = get(name);
      if (!t) {
        if (strict) throw new Error(`missing parameter "${name}" in state`);
        continue;
      }
      if (t.shape.join(',') !== v.shape.join(',')) throw new Error(`parameter "${name}": shape [${t.shape}] in state, model expects [${v.shape}]`);
      v.assign(t);
    }
  }

  dispose(): void {
    for (const v of this.namedParameters().values()) v.dispose();
  }
}
