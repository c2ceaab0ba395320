import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '../data/source.ts';
import type { SequenceBatch } from '../data/sequence.ts';
import type { EncoderInput } from './method.ts';
import type { ImageTrainBatch } from '../data/image-batch.ts';
import { imageEncoderInput } from './image-tensor.ts';

/**
 * How each batch kind becomes an encoder input. A new batch kind (images) adds one line. Call inside a
 * tidy scope: the tensors are the caller's.
 */
export const ENCODER_INPUTS: Readonly<Record<string, (batch: Batch) => EncoderInput>> = {
  sequence: (batch) => {
    const b = batch as SequenceBatch;
    return { x: tf.tensor(b.inputs, b.shape, 'float32'), paddingMask: tf.tensor2d(b.paddingMask, [b.shape[0], b.shape[1]], 'float32') };
  },
  image: (batch) => imageEncoderInput(batch as ImageTrainBatch),
};

export function toEncoderInput(batch: Batch): EncoderInput {
  const f = ENCODER_INPUTS[batch.kind];
  if (!f) throw new Error(`no encoder input is defined for batches of kind "${batch.kind}" (known: ${Object.keys(ENCODER_INPUTS).join(', ')})`);
  return f(batch);
}
