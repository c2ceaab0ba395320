import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.ts';
import { Linear } from './linear.ts';
import { LayerNorm } from './layer-norm.ts';
import { dropout } from './dropout.ts';
import { activate, type Activation } from './gelu.ts';
import { Rng } from '../util/rng.ts';
import { ModuleList } from './module-list.ts';

export interface MLPOptions {
  activation?: Activation;
  /** Dropout after each hidden activation (training only). */
  dropout?: number;
  /** LayerNorm before each hidden activation (BYOL-style projector heads use batch norm; LN here). */
  norm?: boolean;
  rng?: Rng;
}

/**
 * A multi-layer perceptron head: Linear -> [LayerNorm] -> activation -> [dropout] for every hidden
 * width, then a final Linear. `dims` = [in, hidden..., out]. Children `layers.{i}` (Linear) and
 * `norms.{i}` (LayerNorm).
 */
export class MLP extends Module {
  readonly linears: Linear[] = [];
  readonly norms: LayerNorm[] = [];
  private readonly rng: Rng;

  constructor(readonly dims: number[], readonly opts: MLPOptions = {}) {
    super();
    if (dims.length < 2) throw new Error(`MLP: dims needs at least [in, out], got [${dims}]`);
    const rng = opts.rng ?? new Rng(0);
    const layers = this.child('layers', new ModuleList());
    const norms = opts.norm ? this.child('norms', new ModuleList()) : null;
    for (let i = 0; i + 1 < dims.length; i++) {
      this.linears.push(layers.add(new Linear(dims[i], dims[i + 1], { rng })));
      if (norms && i + 2 < dims.length) this.norms.push(norms.add(new LayerNorm(dims[i + 1])));
    }
    this.rng = rng.fork();
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let h = x;
      for (let i = 0; i < this.linears.length; i++) {
        h = this.linears[i].forward(h);
        if (i + 1 < this.linears.length) {
          if (this.norms[i]) h = this.norms[i].forward(h);
          h = activate(h, this.opts.activation ?? 'gelu');
          const p = this.opts.dropout ?? 0;
          if (this.training && p > 0) h = dropout(h, p, this.rng);
        }
      }
      return h;
    });
  }
}
