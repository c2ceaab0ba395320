import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.ts';
import { Linear } from './linear.ts';
import { LayerNorm } from './layer-norm.ts';
import { BatchNorm1d } from './batch-norm.ts';
import { dropout } from './dropout.ts';
import { activate, type Activation } from './gelu.ts';
import { Rng } from '../util/rng.ts';
import { ModuleList } from './module-list.ts';

/** The normalisation after each hidden Linear: LayerNorm per row, BatchNorm over the rows of a call, or none. */
export type MlpNorm = 'layer' | 'batch' | 'none';
export const MLP_NORMS: readonly MlpNorm[] = ['layer', 'batch', 'none'];

export interface MLPOptions {
  activation?: Activation;
  /** Dropout after each hidden activation (training only). */
  dropout?: number;
  /**
   * A norm before each hidden activation: `layer` (LayerNorm), `batch` (BatchNorm1d: batch statistics in
   * training, running statistics in evaluation), `none`; `true` is `layer`, `false`/absent `none`.
   */
  norm?: boolean | MlpNorm;
  rng?: Rng;
}

/**
 * A multi-layer perceptron head: Linear -> [norm] -> activation -> [dropout] for every hidden
 * width, then a final Linear. `dims` = [in, hidden..., out]. Children `layers.{i}` (Linear) and
 * `norms.{i}` (LayerNorm or BatchNorm1d: `weight`, `bias`, and for batch norm the non-trainable
 * `running_mean`, `running_var`).
 */
export class MLP extends Module {
  readonly linears: Linear[] = [];
  readonly norms: Array<LayerNorm | BatchNorm1d> = [];
  readonly norm: MlpNorm;
  private readonly rng: Rng;

  constructor(readonly dims: number[], readonly opts: MLPOptions = {}) {
    super();
    if (dims.length < 2) throw new Error(`MLP: dims needs at least [in, out], got [${dims}]`);
    const rng = opts.rng ?? new Rng(0);
    const layers = this.child('layers', new ModuleList());
    this.norm = opts.norm === true ? 'layer' : opts.norm === false || opts.norm === undefined ? 'none' : opts.norm;
    if (!MLP_NORMS.includes(this.norm)) throw new Error(`MLP: norm must be one of ${MLP_NORMS.join(', ')}, got ${String(opts.norm)}`);
    const norms = this.norm !== 'none' ? this.child('norms', new ModuleList()) : null;
    for (let i = 0; i + 1 < dims.length; i++) {
      this.linears.push(layers.add(new Linear(dims[i], dims[i + 1], { rng })));
      if (norms && i + 2 < dims.length) this.norms.push(norms.add(this.norm === 'batch' ? new BatchNorm1d(dims[i + 1]) : new LayerNorm(dims[i + 1])));
    }
    this.rng = rng.fork();
  }

  /** The batch norms (empty unless norm is `batch`). */
  batchNorms(): BatchNorm1d[] {
    return this.norms.filter((n): n is BatchNorm1d => n instanceof BatchNorm1d);
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
