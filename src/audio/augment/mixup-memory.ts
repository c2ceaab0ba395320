import type { Rng } from '../../util/rng.ts';

/**
 * BYOL-A's mixup (Niizumi et al. 2021, sec. 3.3.1): a log-mel segment x is mixed with a segment z drawn
 * uniformly from a FIFO memory of earlier inputs, in the linear (power) domain,
 *
 *   x' = log((1 - a) exp(x) + a exp(z)),   a ~ U(0, ratio)   (ratio 0.4),
 *
 * so the background of another clip is added at a random level below the clip itself. Computed as
 * max(x, z) + log((1 - a) exp(x - m) + a exp(z - m)), which cannot overflow and keeps every value
 * between min(x, z) and max(x, z). The memory holds the original (unmixed) segments; it is a ring of
 * `capacity` slots whose contents and position are state (see `MixupMemory.state`).
 */
export function logMixup(x: Float32Array, z: Float32Array, alpha: number): Float32Array {
  if (x.length !== z.length) throw new Error(`log mixup: segments of ${x.length} and ${z.length} values`);
  if (!(alpha >= 0 && alpha <= 1)) throw new Error(`log mixup: alpha must be in [0, 1], got ${alpha}`);
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const m = Math.max(x[i], z[i]);
    out[i] = m + Math.log((1 - alpha) * Math.exp(x[i] - m) + alpha * Math.exp(z[i] - m));
  }
  return out;
}

export interface MixupMemoryState {
  /** Segments stored so far (at most capacity). */
  count: number;
  /** Slot the next segment is written to. */
  next: number;
}

export class MixupMemory {
  /** [capacity, size] row-major: slot i holds one segment. */
  readonly data: Float32Array;
  private count = 0;
  private next = 0;

  constructor(readonly capacity: number, readonly size: number) {
    if (!(Number.isInteger(capacity) && capacity >= 1)) throw new Error(`mixup memory: capacity must be a positive integer, got ${capacity}`);
    if (!(Number.isInteger(size) && size >= 1)) throw new Error(`mixup memory: segment size must be a positive integer, got ${size}`);
    this.data = new Float32Array(capacity * size);
  }

  get length(): number {
    return this.count;
  }

  /** Stores a copy of `x`, replacing the oldest segment once full. */
  push(x: Float32Array): void {
    if (x.length !== this.size) throw new Error(`mixup memory: segment of ${x.length} values, the memory holds ${this.size}`);
    this.data.set(x, this.next * this.size);
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  /** Stored segment `i` (0 = the slot written first while not yet full). A view, not a copy. */
  slot(i: number): Float32Array {
    if (!(i >= 0 && i < this.count)) throw new Error(`mixup memory: slot ${i} of ${this.count}`);
    return this.data.subarray(i * this.size, (i + 1) * this.size);
  }

  /**
   * x mixed with a random stored segment at a random a in [0, ratio); x itself when the memory is empty
   * or ratio is 0.
   */
  mix(x: Float32Array, ratio: number, rng: Rng): Float32Array {
    if (this.count === 0 || ratio === 0) return Float32Array.from(x);
    const alpha = ratio * rng.next();
    const z = this.slot(rng.int(this.count));
    return logMixup(x, z, alpha);
  }

  get state(): MixupMemoryState {
    return { count: this.count, next: this.next };
  }

  /** Restores position and contents (`data` from a checkpoint, [capacity * size] values). */
  restore(state: MixupMemoryState, data: ArrayLike<number>): void {
    const ok = Number.isInteger(state?.count) && Number.isInteger(state?.next) && state.count >= 0 && state.count <= this.capacity && state.next >= 0 && state.next < this.capacity;
    if (!ok) throw new Error(`mixup memory: state ${JSON.stringify(state)} does not fit a memory of ${this.capacity} slots`);
    if (data.length !== this.data.length) throw new Error(`mixup memory: ${data.length} values to restore, the memory holds ${this.data.length}`);
    this.data.set(data);
    this.count = state.count;
    this.next = state.next;
  }
}
