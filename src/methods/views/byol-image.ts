import type * as tf from '@tensorflow/tfjs-core';
import type { DataInfo } from '../../data/registry.ts';
import { batchPositions, imageBatchSource, type ImageTrainBatch } from '../../data/image-batch.ts';
import type { MultiViewGenerator } from '../../image/views/view-generator.ts';
import type { Encoder } from '../../models/encoder.ts';
import type { Fields } from '../../util/fields.ts';
import { InputError } from '../../util/errors.ts';
import type { Rng } from '../../util/rng.ts';
import type { EncoderInput } from '../method.ts';
import { imageTensor, pooledImageRepresentation } from '../image-tensor.ts';
import { buildImageViews, readImageViewsConfig, type ImageViewsConfig } from '../image-view-config.ts';
import type { TwoViewSampler, ViewSamplerDefinition } from './two-view-sampler.ts';

/**
 * BYOL's image views: two augmented crops of every image of an `image` batch, from the image view
 * presets (src/methods/image-view-config.ts; `byol-cifar` by default: BYOL's asymmetric blur and
 * solarisation probabilities at CIFAR scale), standardised with the data's statistics. A view becomes one
 * vector as the other image methods do it: the mean over the encoder's output tokens (or `layer`'s).
 * Stateless: every draw comes from the step's rng, so the same seed gives the same views.
 *
 *   views: {kind: byol-image, preset: byol-cifar, cropMinScale: 0.2}
 */
export class ByolImageViews implements TwoViewSampler<ImageTrainBatch> {
  readonly accepts = ['image'] as const;

  constructor(readonly config: ImageViewsConfig, private readonly generator: MultiViewGenerator) {
    if (generator.numViews !== 2) throw new Error(`byol-image views: the generator makes ${generator.numViews} views, expected 2`);
  }

  views(batch: ImageTrainBatch, rng: Rng): [EncoderInput, EncoderInput] {
    const [v1, v2] = this.generator.generate(imageBatchSource(batch), batchPositions(batch), rng);
    return [{ x: imageTensor(v1, batch.normalize) }, { x: imageTensor(v2, batch.normalize) }];
  }

  embed(encoder: Encoder, input: EncoderInput, layer: number | undefined): tf.Tensor2D {
    return pooledImageRepresentation(encoder, input.x as tf.Tensor4D, layer);
  }

  dispose(): void {}
}

export const byolImageViewsDefinition: ViewSamplerDefinition<ImageViewsConfig> = {
  readConfig(f: Fields): ImageViewsConfig {
    f.optionalString('kind'); // read by the caller; marked as known here
    return readImageViewsConfig(f, 'byol-cifar');
  },
  create(config: ImageViewsConfig, data: DataInfo): ByolImageViews {
    const image = data.image;
    if (!image) throw new InputError('byol-image views read image data (data.kind: image)', { field: 'views.kind' });
    return new ByolImageViews(config, buildImageViews(config, Math.min(image.height, image.width)));
  },
};
