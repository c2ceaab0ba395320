import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../nn/module.ts';
import type { Rng } from '../util/rng.ts';

/**
 * CPC's prediction heads (van den Oord et al. 2018; CPC_audio's `PredictionNetwork`): one linear map
 * W_k per step ahead k = 1..K, without bias, predicting z_{t+k} from the context c_t as W_k c_t.
 * Stored as one parameter `weight` [K, C, Z] (C context width, Z target width). Initialised as
 * PyTorch's nn.Linear, U(-1/sqrt(C), 1/sqrt(C)), from the given Rng.
 */
export class CpcStepPredictors extends Module {
  readonly weight: tf.Variable;

  constructor(
    readonly contextDim: number,
    readonly targetDim: number,
    readonly steps = 12,
    rng: Rng,
  ) {
    super();
    for (const [name, v] of [['contextDim', contextDim], ['targetDim', targetDim], ['steps', steps]] as const) {
      if (!(Number.isInteger(v) && v >= 1)) throw new Error(`CpcStepPredictors: ${name} must be a positive integer, got ${v}`);
    }
    const bound = 1 / Math.sqrt(contextDim);
    const init = new Float32Array(steps * contextDim * targetDim);
    for (let i = 0; i < init.length; i++) init[i] = rng.uniform(-bound, bound);
    this.weight = this.param('weight', tf.tensor3d(init, [steps, contextDim, targetDim]));
  }

  /** Predictions of every step for rows of context [N, C]: [K, N, Z] (index k-1 = k steps ahead). */
  predict(context: tf.Tensor2D): tf.Tensor3D {
    const [n, c] = context.shape;
    if (c !== this.contextDim) throw new Error(`CpcStepPredictors: context width ${c}, expected ${this.contextDim}`);
    return tf.tidy(() => {
      // [N, C] x [C, K*Z] as one product, then [N, K, Z] -> [K, N, Z].
      const w = tf.reshape(tf.transpose(this.weight, [1, 0, 2]), [c, this.steps * this.targetDim]);
      const p = tf.reshape(tf.matMul(context, w), [n, this.steps, this.targetDim]);
      return tf.transpose(p, [1, 0, 2]) as tf.Tensor3D;
    });
  }
}
