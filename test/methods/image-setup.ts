import * as tf from '@tensorflow/tfjs-core';
import { buildData, type BuiltData } from '../../src/data/registry.ts';
import type { ImageTrainBatch } from '../../src/data/image-batch.ts';
import { buildEncoder } from '../../src/models/registry.ts';
import type { Encoder } from '../../src/models/encoder.ts';
import type { LossContext, Method, MethodDefinition } from '../../src/methods/method.ts';
import { toEncoderInput } from '../../src/methods/encoder-input.ts';
import { Fields } from '../../src/util/fields.ts';
import { Rng } from '../../src/util/rng.ts';
import { digitsDir } from '../helpers/paths.ts';

/**
 * Shared setup of the image methods' tests: the 8x8 digits (a class-stratified slice), tiny encoders
 * (a ResNet and a ViT that train in well under a second a step), a method built the way a run builds
 * it, and a loss context outside the Trainer.
 */
export const DIGITS_CSV = `${digitsDir}/digits.csv.gz`;

export function digitsData(maxTrain = 120, batchSize = 16): BuiltData<ImageTrainBatch> {
  return buildData(new Fields({ kind: 'image', source: 'digits-csv', path: DIGITS_CSV, maxTrain, batchSize }, 'data'), { seed: 3, baseDir: '/' }) as BuiltData<ImageTrainBatch>;
}

export const TINY_RESNET = { kind: 'resnet', preset: 'digits', stemWidth: 8, widths: [8, 16], groups: 4 };
export const TINY_VIT = { kind: 'vit', preset: 'digits', dim: 32, depth: 1, heads: 2, ffnDim: 32 };

export function tinyEncoder(config: Record<string, unknown>, seed = 1): Encoder {
  return buildEncoder(config, { seed });
}

export async function buildMethod<C>(def: MethodDefinition<C>, raw: Record<string, unknown>, encoder: Encoder, data: BuiltData, seed = 5): Promise<Method> {
  const cfg = def.readConfig(new Fields(raw, 'methods[0].config'));
  return def.create(cfg, { key: 'm', encoder, data: data.info, layer: undefined, rng: new Rng(seed), baseDir: '/' });
}

export function lossContext(encoder: Encoder, batch: ImageTrainBatch, seed: number, training = true): LossContext {
  const input = () => toEncoderInput(batch);
  return {
    step: 0,
    totalSteps: 1,
    progress: 0,
    encoder,
    sharedForward: () => encoder.forward(input().x),
    representation: () => encoder.forward(input().x).output,
    encoderInput: input,
    layer: undefined,
    rng: new Rng(seed),
    training,
  };
}

/** Every trainable variable of the encoder and the method, by name. */
export function trainables(encoder: Encoder, method: Method): Map<string, tf.Variable> {
  return new Map([...encoder.trainableParameters('encoder.'), ...method.parameters()]);
}

/** Names of the trainable variables whose gradient of the method's loss on `batch` is all zeros. */
export function zeroGradients(encoder: Encoder, method: Method, batch: ImageTrainBatch, seed = 1): string[] {
  const vars = trainables(encoder, method);
  const names = [...vars.keys()];
  const { value, grads } = tf.variableGrads(() => method.loss(batch, lossContext(encoder, batch, seed)).loss, [...vars.values()]);
  const byVar = new Map([...vars].map(([n, v]) => [v.name, n]));
  const nonzero = new Set<string>();
  for (const [vn, g] of Object.entries(grads)) {
    if (tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]) > 0) nonzero.add(byVar.get(vn)!);
  }
  tf.dispose([value, ...Object.values(grads)]);
  return names.filter((n) => !nonzero.has(n));
}
