import * as tf from '@tensorflow/tfjs-core';
import { AudioTransformerEncoder } from '../../src/models/audio-transformer.ts';
import { AdamW } from '../../src/train/adamw.ts';
import { Rng } from '../../src/util/rng.ts';

/**
 * A few AdamW steps of a small pre-LN transformer encoder (dim 32, 2 blocks, 2 heads, FFN 64) on a fixed
 * random batch [2, 40, 16] regressing a fixed random target: every dense product of a real step (input
 * projection, attention, feed-forward, their gradients) is large enough to be routed to onnxruntime's
 * GEMM on wasm. Returns each step's loss and the final weights, concatenated.
 */
export function trainTinyEncoder(steps: number): { losses: number[]; weights: Float32Array } {
  const rng = new Rng(31);
  const encoder = new AudioTransformerEncoder(
    {
      kind: 'audio-transformer', frontend: 'linear', inputDim: 16, convLayers: [{ channels: 1, kernel: 1, stride: 1 }], convNorm: 'none', featureNorm: false,
      dim: 32, layers: 2, heads: 2, ffnDim: 64, normFirst: true, dropout: 0, attentionDropout: 0, activationDropout: 0, inputDropout: 0, posConv: null,
    },
    rng.fork(),
  );
  const params = new Map<string, tf.Variable>(encoder.trainableParameters('encoder.'));
  const x = tf.tensor3d(rng.normalArray(2 * 40 * 16), [2, 40, 16]);
  const target = tf.tensor3d(rng.normalArray(2 * 40 * 32), [2, 40, 32]);
  const opt = new AdamW({ lr: 1e-2, beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: 0.01, noDecay: () => false });
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(encoder.forward(x).output, target))) as tf.Scalar, [...params.values()]);
      // The mask embedding gets no gradient (no frames are masked here).
      opt.step(params, new Map([...params].filter(([, v]) => grads[v.name]).map(([n, v]) => [n, grads[v.name]])));
      return value;
    });
    losses.push(loss.dataSync()[0]);
    loss.dispose();
  }
  const parts = [...params.values()].map((v) => v.dataSync() as Float32Array);
  const weights = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    weights.set(p, at);
    at += p.length;
  }
  tf.dispose([x, target]);
  opt.dispose();
  encoder.dispose();
  return { losses, weights };
}
