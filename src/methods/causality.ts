import * as tf from '@tensorflow/tfjs-core';
import type { Encoder } from '../models/encoder.ts';
import { Rng } from '../util/rng.ts';

/**
 * Whether an encoder's context network is causal: frame t of its output depends on the local features
 * z_1..z_t only. CPC predicts z_{t+k} from c_t, which is only a task when c_t cannot see z_{t+k} (a GRU
 * or LSTM); a transformer's attention sees the whole utterance, so the prediction would be a copy.
 *
 * Probed on the encoder itself rather than by name: random local features of `frames` frames are run
 * through `context` twice, the second time with the last frame changed; the context is causal when no
 * earlier output frame moves. Runs in evaluation mode (no dropout draws) and restores the mode.
 */
export function contextIsCausal(encoder: Encoder, frames = 6, seed = 0): boolean {
  const width = encoder.featureDim ?? encoder.outputDim;
  const rng = new Rng(seed);
  const wasTraining = encoder.training;
  encoder.train(false);
  try {
    return tf.tidy(() => {
      const base = rng.normalArray(frames * width);
      const changed = Float32Array.from(base);
      for (let d = 0; d < width; d++) changed[(frames - 1) * width + d] += 3 + rng.normal();
      const run = (z: Float32Array) => encoder.context({ features: tf.tensor3d(z, [1, frames, width]) }).output;
      const a = run(base);
      const b = run(changed);
      const early = (x: tf.Tensor3D) => tf.slice(x, [0, 0, 0], [1, frames - 1, x.shape[2]]);
      const diff = tf.max(tf.abs(tf.sub(early(a), early(b)))).dataSync()[0];
      return diff === 0;
    });
  } finally {
    encoder.train(wasTraining);
  }
}
