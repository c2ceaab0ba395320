import type * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '../../data/source.ts';
import type { DataInfo } from '../../data/registry.ts';
import type { Fields, JsonValue } from '../../util/fields.ts';
import type { Rng } from '../../util/rng.ts';
import type { Encoder } from '../../models/encoder.ts';
import type { EncoderInput } from '../method.ts';

/**
 * Two augmented views of every item of a batch, as encoder inputs: what BYOL (and any other two-view
 * objective) needs from a modality. Audio (BYOL-A log-mel views) and images plug in the same way, each as
 * one file and one line in `VIEW_SAMPLERS` (./registry.ts).
 *
 * `views` runs inside the caller's tidy/gradient scope (the tensors are the caller's) and takes every
 * random draw from `rng`, so a run is deterministic for a seed. A sampler with state (BYOL-A's mixup
 * memory) keeps its tensors in `buffers()` and its counters in `getState`, and brings `buffers()` up to
 * date in `afterStep`, before the Trainer may checkpoint.
 */
export interface TwoViewSampler<B extends Batch = Batch> {
  /** Batch kinds the sampler reads. */
  readonly accepts: readonly string[];
  /** [view 1, view 2] of every item, same batch order. `training` false: validation (state left alone). */
  views(batch: B, rng: Rng, training: boolean): [EncoderInput, EncoderInput];
  /**
   * One vector [B, D] per view from an encoder (the online or the target network), when the modality
   * pools its own way (images: the mean of the output tokens). Absent: the method's frame pooling.
   */
  embed?(encoder: Encoder, input: EncoderInput, layer: number | undefined): tf.Tensor2D;
  /** Checkpointed, never trained (names start with `prefix`). */
  buffers?(prefix: string): Map<string, tf.Variable>;
  afterStep?(): void;
  getState?(): JsonValue;
  /** Called after the buffers were restored from a checkpoint. */
  setState?(state: JsonValue): void;
  dispose(): void;
}

/** A view sampler in the registry: its typed JSON config and a factory. */
export interface ViewSamplerDefinition<C> {
  /** Reads the `views` section (without `kind`); errors name the field. */
  readConfig(f: Fields): C;
  create(config: C, data: DataInfo): TwoViewSampler;
}
