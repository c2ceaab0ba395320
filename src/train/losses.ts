import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '../data/source.ts';
import type { Encoder, EncoderOutput } from '../models/encoder.ts';
import type { EncoderInput, LossContext, Method, StepInfo } from '../methods/method.ts';
import { toEncoderInput } from '../methods/encoder-input.ts';
import { Rng } from '../util/rng.ts';
import { mixSeed } from '../util/seed.ts';
import { withDropoutStream } from '../nn/dropout.ts';

/** A method as a run uses it: its key, loss weight, and the layer it reads. */
export interface RunMethod {
  key: string;
  weight: number;
  /** Weight at progress 1 (linear from `weight` at progress 0); absent: constant. */
  weightEnd?: number;
  layer?: number;
  method: Method;
}

/** Where a loss evaluation happens: which update, micro-batch (or validation batch), and mode. */
export interface LossScope extends StepInfo {
  seed: number;
  /** Micro-batch index within the update (training) or batch index (validation). */
  micro: number;
  training: boolean;
}

/** A method's loss weight at `progress` (update / total updates, 0..1): linear from weight to weightEnd. */
export function methodWeight(m: Pick<RunMethod, 'weight' | 'weightEnd'>, progress: number): number {
  if (m.weightEnd === undefined) return m.weight;
  const p = Math.min(1, Math.max(0, progress));
  return m.weight + (m.weightEnd - m.weight) * p;
}

/**
 * Runs every method on one batch and returns the weighted total and each named value (`<key>/loss`,
 * `<key>/<metric>`). Must be called inside a tidy or gradient scope; the returned tensors belong to it
 * (keep them with `tf.keep` to read them after). The encoder's plain forward is computed at most once
 * and shared by the methods that ask for it.
 */
export function weightedLosses(batch: Batch, encoder: Encoder, methods: RunMethod[], scope: LossScope): { total: tf.Scalar; named: Map<string, tf.Scalar | number> } {
  let input: EncoderInput | undefined;
  let shared: EncoderOutput | undefined;
  const encoderInput = () => (input ??= toEncoderInput(batch));
  const sharedForward = () => (shared ??= encoder.forward(encoderInput().x, { paddingMask: encoderInput().paddingMask }));
  const named = new Map<string, tf.Scalar | number>();
  let total: tf.Scalar | undefined;
  methods.forEach((m, index) => {
    if (!m.method.accepts.includes(batch.kind)) throw new Error(`method "${m.key}" (${m.method.name}) reads ${m.method.accepts.join('/')} batches, the data gives "${batch.kind}"`);
    const ctx: LossContext = {
      step: scope.step,
      totalSteps: scope.totalSteps,
      progress: scope.progress,
      encoder,
      sharedForward,
      encoderInput,
      representation: () => {
        const out = sharedForward();
        if (m.layer === undefined) return out.output;
        const h = out.hidden[m.layer];
        if (!h) throw new Error(`method "${m.key}": layer ${m.layer} requested, the encoder has hidden states 0..${out.hidden.length - 1}`);
        return h;
      },
      layer: m.layer,
      rng: new Rng(mixSeed(scope.seed, scope.training ? 3 : 4, scope.step, scope.micro, index)),
      training: scope.training,
    };
    // Dropout anywhere in this method's forwards (the shared one included, when this method asks first)
    // draws from a stream of (seed, step, micro-batch, method), like the method's own randomness.
    const dropoutRng = new Rng(mixSeed(scope.seed, scope.training ? 6 : 7, scope.step, scope.micro, index));
    const out = withDropoutStream(dropoutRng, () => m.method.loss(batch, ctx));
    if (out.loss.rank !== 0) throw new Error(`method "${m.key}": loss must be a scalar, got shape [${out.loss.shape}]`);
    named.set(`${m.key}/loss`, out.loss);
    for (const [k, v] of Object.entries(out.metrics ?? {})) named.set(`${m.key}/${k}`, v);
    const weight = methodWeight(m, scope.progress);
    if (m.weightEnd !== undefined) named.set(`${m.key}/weight`, weight);
    const weighted = tf.mul(out.loss, weight) as tf.Scalar;
    total = total ? (tf.add(total, weighted) as tf.Scalar) : weighted;
  });
  return { total: total!, named };
}

/**
 * Reads scalar tensors and numbers in one transfer (one device sync per update, not one per value),
 * disposing the tensors.
 */
export function readScalars(values: Map<string, tf.Scalar | number>): Map<string, number> {
  const names: string[] = [];
  const tensors: tf.Scalar[] = [];
  const out = new Map<string, number>();
  for (const [k, v] of values) {
    if (typeof v === 'number') out.set(k, v);
    else {
      names.push(k);
      tensors.push(v);
    }
  }
  if (tensors.length) {
    const stacked = tf.tidy(() => tf.stack(tensors.map((t) => tf.cast(t, 'float32'))));
    const data = stacked.dataSync();
    stacked.dispose();
    names.forEach((k, i) => out.set(k, data[i]));
  }
  for (const t of tensors) t.dispose();
  // Keep the caller's order.
  return new Map([...values.keys()].map((k) => [k, out.get(k)!]));
}
