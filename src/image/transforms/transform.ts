/**
 * The augmentation contract: a transform takes an image and the run's generator and returns an image.
 * It never mutates its input (it may return the input itself when it changes nothing), and all its
 * randomness comes from `rng`, so a pipeline replays exactly for a seed. Small transforms compose with
 * `Compose` and `RandomApply`.
 */
import type { Rng } from '../../util/rng.ts';
import type { Image } from '../image.ts';

export interface ImageTransform {
  /** A short description, for logs and docs ("HorizontalFlip(p=0.5)"). */
  readonly name: string;
  apply(img: Image, rng: Rng): Image;
}

export function checkProbability(p: number, field: string): void {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${field} must be a probability in [0, 1], got ${p}`);
}

/** Applies transforms in order. */
export class Compose implements ImageTransform {
  constructor(readonly transforms: ImageTransform[]) {}
  get name(): string {
    return `Compose[${this.transforms.map((t) => t.name).join(', ')}]`;
  }
  apply(img: Image, rng: Rng): Image {
    let out = img;
    for (const t of this.transforms) out = t.apply(out, rng);
    return out;
  }
}

/**
 * Applies `inner` with probability p. One uniform draw decides, always taken (even for p 0 or 1), so the
 * stream of draws does not depend on p.
 */
export class RandomApply implements ImageTransform {
  constructor(
    readonly inner: ImageTransform,
    readonly p: number,
  ) {
    checkProbability(p, 'RandomApply p');
  }
  get name(): string {
    return `RandomApply(p=${this.p}, ${this.inner.name})`;
  }
  apply(img: Image, rng: Rng): Image {
    return rng.next() < this.p ? this.inner.apply(img, rng) : img;
  }
}

/** Applies the transforms in a random order (one permutation per call). */
export class RandomOrder implements ImageTransform {
  constructor(readonly transforms: ImageTransform[]) {}
  get name(): string {
    return `RandomOrder[${this.transforms.map((t) => t.name).join(', ')}]`;
  }
  apply(img: Image, rng: Rng): Image {
    let out = img;
    for (const k of rng.permutation(this.transforms.length)) out = this.transforms[k].apply(out, rng);
    return out;
  }
}

/** Applies a deterministic function (no randomness), under a name. */
export class MapImage implements ImageTransform {
  constructor(
    readonly name: string,
    private readonly fn: (img: Image) => Image,
  ) {}
  apply(img: Image): Image {
    return this.fn(img);
  }
}
