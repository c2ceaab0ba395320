import type * as tf from '@tensorflow/tfjs-core';
import type { Encoder, EncoderOutput } from '../models/encoder.ts';
import type { Batch } from '../data/source.ts';
import type { DataInfo } from '../data/registry.ts';
import type { Fields, JsonValue } from '../util/fields.ts';
import type { Rng } from '../util/rng.ts';

/**
 * The contract between the one Trainer and every self-supervised objective (HuBERT, CPC, wav2vec 2.0,
 * temporal gap, BYOL, distillation, SimCLR, rotation...), audio or image.
 *
 * A run trains one shared encoder with one or more methods. Each method owns its heads; the Trainer owns
 * the encoder, the optimiser and the loop:
 *   loss_total = sum_i weight_i * method_i.loss(batch).loss
 * Gradients flow to the encoder's trainable parameters and to every method's `parameters()` (a name
 * listed by two methods with the same variable is one parameter, updated once). Variables a method keeps
 * but must not train (an EMA target, a frozen teacher) go in `buffers()`: checkpointed, never
 * differentiated, never seen by the optimiser.
 */
export interface StepInfo {
  /** Optimiser updates applied so far (0 before the first). */
  step: number;
  /** Updates the run will make in all. */
  totalSteps: number;
  /** step / totalSteps, in [0, 1] (for schedules such as BYOL's tau or Gumbel temperature). */
  progress: number;
}

/** What a method's `loss` sees besides the batch. */
export interface LossContext extends StepInfo {
  /** The shared encoder (call `forward`, or `features` then `context` with a frame mask). */
  encoder: Encoder;
  /**
   * The encoder's plain forward of the batch input (no frame mask), computed once per batch and shared by
   * every method that asks; gradients flow through it.
   */
  sharedForward(): EncoderOutput;
  /**
   * The representation this method was configured to read from the shared forward: `hidden[layer]` when
   * the run gives the method a `layer`, else the encoder output. [B, T, D].
   */
  representation(): tf.Tensor3D;
  /** The encoder input of the batch (as `sharedForward` used it), for methods that run the encoder themselves. */
  encoderInput(): EncoderInput;
  /** The layer given in the run config, if any. */
  layer: number | undefined;
  /** Seeded by (run seed, step, micro-batch, method): the same draws whether or not the run was resumed. */
  rng: Rng;
  /** False during validation (no masking randomness needed, dropout off). */
  training: boolean;
}

/** An encoder input built from a batch: the tensor `x` and, for padded sequences, `paddingMask` [B, T_in]. */
export interface EncoderInput {
  x: tf.Tensor;
  paddingMask?: tf.Tensor2D;
}

export interface LossOutput {
  /** The method's loss (before the run's weight), a scalar. */
  loss: tf.Scalar;
  /** Named scalars to log beside it (accuracies, perplexity, temperature...), averaged over logged steps. */
  metrics?: Record<string, tf.Scalar | number>;
}

export interface Method<B extends Batch = Batch> {
  /** Registry name (`hubert`, `cpc`, `byol`...). */
  readonly name: string;
  /** Batch kinds this method reads (`sequence`, `image`); the run refuses data of another kind. */
  readonly accepts: readonly string[];
  /**
   * Trainable variables the method owns (heads, projections, mask embedding), by full dotted name,
   * conventionally `<key>.<module path>` with the key from the build context. Not the encoder's.
   */
  parameters(): Map<string, tf.Variable>;
  /** Variables kept but not trained (EMA target weights, a frozen teacher): checkpointed only. */
  buffers?(): Map<string, tf.Variable>;
  /** The loss for one batch. Runs inside the Trainer's gradient scope: create tensors freely, they are freed. */
  loss(batch: B, ctx: LossContext): LossOutput;
  /** Before each optimiser update (temperature annealing reads `info.step`). */
  beforeStep?(info: StepInfo): void;
  /** After each optimiser update (EMA target update). */
  afterStep?(info: StepInfo): void;
  /** JSON state for checkpoints (temperature, counters); tensors belong in `buffers`. */
  getState?(): JsonValue;
  setState?(state: JsonValue): void;
  /** Training or evaluation mode for the method's own modules. */
  train(on: boolean): void;
  dispose(): void;
}

/** What a method factory gets. */
export interface MethodBuildContext {
  /** The method's name within the run (unique); prefix its parameter names with `<key>.`. */
  key: string;
  encoder: Encoder;
  data: DataInfo;
  /** The layer the run gives this method (see `LossContext.representation`). */
  layer: number | undefined;
  /** For initialising heads (seeded from the run seed and the method's position). */
  rng: Rng;
  /** Folder relative paths in the method config resolve against (a teacher checkpoint...). */
  baseDir: string;
}

/**
 * A method in the registry: reads its typed config (with its defaults) and builds the method. `C` must be
 * JSON (checkpoints store the read config in model.json and rebuild the method from it on resume).
 */
export interface MethodDefinition<C> {
  /** Reads `methods[i].config`; errors name the field (`f.fail`, typed getters), `f.done()` rejects unknown ones. */
  readConfig(f: Fields): C;
  create(config: C, ctx: MethodBuildContext): Method | Promise<Method>;
}
