import { Rng } from '../util/rng.ts';
import { mixSeed } from '../util/seed.ts';
import type { JsonValue } from '../util/fields.ts';

/** Every batch names its kind (`sequence`, `image`...), so a method can check it was given what it reads. */
export interface Batch {
  readonly kind: string;
}

/**
 * What the Trainer pulls batches from. A batch is plain host data (typed arrays, ids), never tensors:
 * methods turn it into tensors inside their step, so data code stays independent of the engine and a
 * source's position is a small JSON object that checkpoints hold.
 */
export interface BatchSource<B> {
  /** The next training batch (rolls over to the next epoch when one ends). */
  next(): Promise<B>;
  /** Epoch of the batch returned last (0-based). */
  readonly epoch: number;
  /** Number of batches in the current epoch. */
  readonly batchesPerEpoch: number;
  /** Everything needed to continue exactly from here: epoch, position, the epoch's batch order. */
  getState(): JsonValue;
  setState(state: JsonValue): void;
}

/** A fixed, ordered pass over a held-out set (no shuffling; the same batches every time). */
export interface EvalSource<B> {
  batches(): AsyncIterable<B>;
}

/** The state of a `PlannedBatchSource`, as stored in `trainer.json`. */
export interface PlannedState {
  epoch: number;
  /** Index of the next batch of `batches` to hand out. */
  position: number;
  /** The current epoch's batches, as dataset indices. */
  batches: number[][];
}

export interface PlannedSourceOptions<B> {
  seed: number;
  /** The batches of an epoch (dataset indices), drawn from `rng` (seeded by run seed and epoch). */
  plan: (epoch: number, rng: Rng) => number[][];
  /**
   * Builds a batch from dataset indices. `rng` is seeded by (run seed, epoch, batch position), so crops
   * and augmentations are the same whether or not the run was interrupted.
   */
  collate: (indices: number[], rng: Rng) => B | Promise<B>;
}

/**
 * A training stream over any indexable dataset (audio sequences, images): a seeded plan per epoch and a
 * collate function. Image and audio datasets differ only in `plan` and `collate`.
 */
export class PlannedBatchSource<B> implements BatchSource<B> {
  private state: PlannedState;

  constructor(private readonly opts: PlannedSourceOptions<B>) {
    this.state = { epoch: 0, position: 0, batches: this.planEpoch(0) };
  }

  get epoch(): number {
    return this.state.epoch;
  }

  get batchesPerEpoch(): number {
    return this.state.batches.length;
  }

  async next(): Promise<B> {
    if (this.state.position >= this.state.batches.length) {
      const epoch = this.state.epoch + 1;
      this.state = { epoch, position: 0, batches: this.planEpoch(epoch) };
    }
    const pos = this.state.position;
    const indices = this.state.batches[pos];
    this.state.position += 1;
    return this.opts.collate(indices, new Rng(mixSeed(this.opts.seed, 2, this.state.epoch, pos)));
  }

  getState(): JsonValue {
    const s = this.state;
    return { epoch: s.epoch, position: s.position, batches: s.batches.map((b) => [...b]) };
  }

  setState(state: JsonValue): void {
    const s = state as unknown as PlannedState;
    const ok =
      s !== null && typeof s === 'object' && Number.isInteger(s.epoch) && Number.isInteger(s.position) && Array.isArray(s.batches) &&
      s.batches.every((b) => Array.isArray(b) && b.every((i) => Number.isInteger(i))) && s.position >= 0 && s.position <= s.batches.length;
    if (!ok) throw new Error('data state: expected {epoch, position, batches: number[][]} with 0 <= position <= batches.length');
    this.state = { epoch: s.epoch, position: s.position, batches: s.batches.map((b) => [...b]) };
  }

  private planEpoch(epoch: number): number[][] {
    const batches = this.opts.plan(epoch, new Rng(mixSeed(this.opts.seed, 1, epoch)));
    if (batches.length === 0) throw new Error('data: an epoch has no batches (is the dataset empty, or every item filtered out?)');
    return batches;
  }
}
