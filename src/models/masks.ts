import * as tf from '@tensorflow/tfjs-core';

/**
 * Replaces masked frames by a learned vector: features [B, T, D], frameMask [B, T] (1 = masked),
 * maskEmbedding [D]. Gradients reach both the unmasked features and the embedding.
 */
export function applyFrameMask(features: tf.Tensor3D, frameMask: tf.Tensor, maskEmbedding: tf.Tensor): tf.Tensor3D {
  const [b, t] = features.shape;
  if (frameMask.shape[0] !== b || frameMask.shape[1] !== t) throw new Error(`frameMask has shape [${frameMask.shape}], features are [${features.shape}]: expected [${b}, ${t}]`);
  return tf.tidy(() => {
    const m = tf.expandDims(tf.cast(frameMask, 'float32'), 2);
    return tf.add(tf.mul(features, tf.sub(1, m)), tf.mul(m, maskEmbedding)) as tf.Tensor3D;
  });
}

/**
 * Padding mask at the encoder's frame rate from one at the input rate: each row's real length
 * (frames where the input mask is 0) is mapped through `outputLength`, and frames at or beyond it are
 * padding. Input mask [B, T_in] with 1 = padding; returns [B, outputLength(T_in)] float32.
 */
export function downsamplePaddingMask(mask: tf.Tensor, inputLength: number, outputLength: (n: number) => number): tf.Tensor2D {
  if (mask.rank !== 2 || mask.shape[1] !== inputLength) throw new Error(`paddingMask has shape [${mask.shape}], expected [batch, ${inputLength}]`);
  const [b] = mask.shape;
  const values = mask.dataSync();
  const tOut = outputLength(inputLength);
  const out = new Float32Array(b * tOut);
  for (let i = 0; i < b; i++) {
    let real = 0;
    for (let j = 0; j < inputLength; j++) if (values[i * inputLength + j] === 0) real++;
    const len = Math.min(tOut, outputLength(real));
    for (let j = len; j < tOut; j++) out[i * tOut + j] = 1;
  }
  return tf.tensor2d(out, [b, tOut]);
}
