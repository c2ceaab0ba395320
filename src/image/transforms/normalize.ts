/**
 * Per-channel standardisation, (x - mean[c]) / std[c], the last step before a model (values leave [0, 1]).
 * CIFAR-10's statistics are the ones solo-learn uses.
 */
import { type Image, createImage } from '../image.ts';
import type { ImageTransform } from './transform.ts';

export interface ChannelStats {
  mean: number[];
  std: number[];
}
export const CIFAR10_STATS: ChannelStats = { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] };

export class Normalize implements ImageTransform {
  constructor(readonly stats: ChannelStats) {
    if (stats.mean.length !== stats.std.length || stats.mean.length === 0) {
      throw new RangeError(`Normalize needs one mean and one std per channel, got ${stats.mean.length} and ${stats.std.length}`);
    }
    if (!stats.std.every((s) => s > 0)) throw new RangeError(`Normalize std must be > 0, got [${stats.std}]`);
  }
  get name(): string {
    return `Normalize(mean=[${this.stats.mean}], std=[${this.stats.std}])`;
  }
  apply(img: Image): Image {
    const C = img.channels;
    if (C !== this.stats.mean.length) throw new RangeError(`Normalize has statistics for ${this.stats.mean.length} channels, the image has ${C}`);
    const out = createImage(img.height, img.width, C);
    const scale = this.stats.std.map((s) => 1 / s);
    for (let i = 0; i < img.data.length; i++) {
      const c = i % C;
      out.data[i] = (img.data[i] - this.stats.mean[c]) * scale[c];
    }
    return out;
  }
}
