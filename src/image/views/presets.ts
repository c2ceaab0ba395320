/**
 * Augmentation presets for the two-view methods, in the schema solo-learn's augmentation files use (one
 * block per view) and applied in solo-learn's order: random resized crop, colour jitter (with probability),
 * grayscale, gaussian blur, solarisation, gaussian noise, horizontal flip, normalisation.
 *
 * - SimCLR on CIFAR: solo-learn's `cifar/augmentations/symmetric.yaml` — crop scale 0.08-1, jitter
 *   0.8/0.8/0.8/0.2 with p 0.8, grayscale 0.2, blur 0.5, no solarisation, flip 0.5, CIFAR-10 mean/std.
 * - BYOL: the paper's asymmetric views — jitter 0.4/0.4/0.2/0.1 with p 0.8, grayscale 0.2, blur 1.0 and
 *   0.1, solarisation 0.0 and 0.2.
 * - BYOL on CIFAR: solo-learn's `cifar/augmentations/asymmetric.yaml` — as BYOL but no blur on either view
 *   (sigma 0.1-2 is most of a 32px image); solarisation 0.0 and 0.2.
 * Differences from solo-learn: resampling is bilinear (solo-learn asks torchvision for bicubic), the blur is
 * an exact gaussian out to 3 sigma (PIL approximates it with box filters), and there is no equalisation.
 */
import { Compose, RandomApply, type ImageTransform } from '../transforms/transform.ts';
import { RandomResizedCrop } from '../transforms/random-resized-crop.ts';
import { Resize } from '../transforms/resize.ts';
import { ColorJitter } from '../transforms/color-jitter.ts';
import { RandomGrayscale } from '../transforms/grayscale.ts';
import { GaussianBlur } from '../transforms/blur.ts';
import { RandomSolarize } from '../transforms/solarize.ts';
import { GaussianNoise } from '../transforms/noise.ts';
import { RandomHorizontalFlip } from '../transforms/flip.ts';
import { CIFAR10_STATS, type ChannelStats, Normalize } from '../transforms/normalize.ts';
import { MultiViewGenerator } from './view-generator.ts';

export interface ViewAugmentConfig {
  cropSize: number;
  /** Random resized crop; when disabled the image is resized to cropSize. */
  crop: { enabled: boolean; minScale: number; maxScale: number };
  colorJitter: { prob: number; brightness: number; contrast: number; saturation: number; hue: number };
  grayscaleProb: number;
  blur: { prob: number; sigma: [number, number] };
  solarizationProb: number;
  noise: { prob: number; std: number };
  horizontalFlipProb: number;
  /** Per-channel statistics to standardise with, or null to keep [0, 1]. */
  normalize: ChannelStats | null;
}

/** Overrides for a view: top-level fields replace, section fields merge. */
export type ViewAugmentOverrides = {
  [K in keyof ViewAugmentConfig]?: ViewAugmentConfig[K] extends object ? (ViewAugmentConfig[K] extends unknown[] ? ViewAugmentConfig[K] : Partial<ViewAugmentConfig[K]>) : ViewAugmentConfig[K];
};

export const SIMCLR_CIFAR_VIEW: ViewAugmentConfig = {
  cropSize: 32,
  crop: { enabled: true, minScale: 0.08, maxScale: 1.0 },
  colorJitter: { prob: 0.8, brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2 },
  grayscaleProb: 0.2,
  blur: { prob: 0.5, sigma: [0.1, 2.0] },
  solarizationProb: 0,
  noise: { prob: 0, std: 0.05 },
  horizontalFlipProb: 0.5,
  normalize: CIFAR10_STATS,
};

const BYOL_BASE: ViewAugmentConfig = {
  ...SIMCLR_CIFAR_VIEW,
  colorJitter: { prob: 0.8, brightness: 0.4, contrast: 0.4, saturation: 0.2, hue: 0.1 },
};
export const BYOL_VIEWS: [ViewAugmentConfig, ViewAugmentConfig] = [
  { ...BYOL_BASE, blur: { prob: 1.0, sigma: [0.1, 2.0] }, solarizationProb: 0 },
  { ...BYOL_BASE, blur: { prob: 0.1, sigma: [0.1, 2.0] }, solarizationProb: 0.2 },
];
export const BYOL_CIFAR_VIEWS: [ViewAugmentConfig, ViewAugmentConfig] = [
  { ...BYOL_BASE, blur: { prob: 0, sigma: [0.1, 2.0] }, solarizationProb: 0 },
  { ...BYOL_BASE, blur: { prob: 0, sigma: [0.1, 2.0] }, solarizationProb: 0.2 },
];

export function mergeViewConfig(base: ViewAugmentConfig, o: ViewAugmentOverrides = {}): ViewAugmentConfig {
  return {
    ...base,
    ...o,
    crop: { ...base.crop, ...o.crop },
    colorJitter: { ...base.colorJitter, ...o.colorJitter },
    blur: { ...base.blur, ...o.blur },
    noise: { ...base.noise, ...o.noise },
    normalize: o.normalize === undefined ? base.normalize : o.normalize,
  };
}

/** The pipeline for one view; steps with probability 0 are left out. */
export function buildViewPipeline(cfg: ViewAugmentConfig): Compose {
  const steps: ImageTransform[] = [];
  const s = cfg.cropSize;
  steps.push(cfg.crop.enabled ? new RandomResizedCrop({ height: s, width: s, scale: [cfg.crop.minScale, cfg.crop.maxScale] }) : new Resize(s, s));
  const { prob, ...jitter } = cfg.colorJitter;
  if (prob > 0) steps.push(new RandomApply(new ColorJitter(jitter), prob));
  if (cfg.grayscaleProb > 0) steps.push(new RandomGrayscale(cfg.grayscaleProb));
  if (cfg.blur.prob > 0) steps.push(new RandomApply(new GaussianBlur({ sigma: cfg.blur.sigma }), cfg.blur.prob));
  if (cfg.solarizationProb > 0) steps.push(new RandomSolarize(cfg.solarizationProb));
  if (cfg.noise.prob > 0) steps.push(new RandomApply(new GaussianNoise({ std: cfg.noise.std }), cfg.noise.prob));
  if (cfg.horizontalFlipProb > 0) steps.push(new RandomHorizontalFlip(cfg.horizontalFlipProb));
  if (cfg.normalize) steps.push(new Normalize(cfg.normalize));
  return new Compose(steps);
}

/** Two views from one pipeline (SimCLR on CIFAR, solo-learn's settings). */
export function simclrCifarViews(overrides: ViewAugmentOverrides = {}): MultiViewGenerator {
  const pipeline = buildViewPipeline(mergeViewConfig(SIMCLR_CIFAR_VIEW, overrides));
  return new MultiViewGenerator([pipeline, pipeline]);
}

/** BYOL's two asymmetric views; `cifar` picks solo-learn's CIFAR file (no blur). Overrides apply to both. */
export function byolViews(options: { cifar?: boolean; overrides?: ViewAugmentOverrides } = {}): MultiViewGenerator {
  const views = options.cifar ? BYOL_CIFAR_VIEWS : BYOL_VIEWS;
  return new MultiViewGenerator(views.map((v) => buildViewPipeline(mergeViewConfig(v, options.overrides))));
}
