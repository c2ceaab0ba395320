import type { Fields, JsonValue } from '../util/fields.ts';
import { BYOL_CIFAR_VIEWS, BYOL_VIEWS, SIMCLR_CIFAR_VIEW, buildViewPipeline, mergeViewConfig, type ViewAugmentConfig } from '../image/views/presets.ts';
import { MultiViewGenerator } from '../image/views/view-generator.ts';

/**
 * The `views` section of a two-view image method (SimCLR here; BYOL and distillation can read the same
 * section): a preset from src/image/views/presets.ts and optional overrides, applied to every view.
 *
 *   views: {preset: simclr-cifar, cropMinScale: 0.2, blurProb: 0}
 *
 * Presets: `simclr-cifar` (solo-learn's symmetric CIFAR views), `byol` and `byol-cifar` (asymmetric),
 * `digits` (8x8 grey digits: crop 0.5-1, brightness/contrast jitter, noise; no flip, colour or blur).
 * The crop size defaults to the data's image side. Normalisation is never part of a view: the data's
 * statistics are applied when a view becomes a tensor (src/methods/image-tensor.ts).
 */
export const VIEW_PRESETS = ['simclr-cifar', 'byol', 'byol-cifar', 'digits'] as const;
export type ViewPreset = (typeof VIEW_PRESETS)[number];

export const DIGITS_VIEW: ViewAugmentConfig = {
  cropSize: 8,
  crop: { enabled: true, minScale: 0.5, maxScale: 1 },
  colorJitter: { prob: 0.8, brightness: 0.4, contrast: 0.4, saturation: 0, hue: 0 },
  grayscaleProb: 0,
  blur: { prob: 0, sigma: [0.1, 2] },
  solarizationProb: 0,
  noise: { prob: 0.5, std: 0.05 },
  horizontalFlipProb: 0,
  normalize: null,
};

/** Overrides a config may give (each optional; absent keeps the preset's value). */
export interface ViewOverrides {
  cropSize?: number;
  cropMinScale?: number;
  cropMaxScale?: number;
  jitterProb?: number;
  /** Multiplies the preset's brightness, contrast, saturation and hue strengths. */
  jitterStrength?: number;
  grayscaleProb?: number;
  blurProb?: number;
  solarizeProb?: number;
  noiseProb?: number;
  noiseStd?: number;
  flipProb?: number;
}

export interface ImageViewsConfig extends ViewOverrides {
  preset: ViewPreset;
}

const PROBABILITIES = ['jitterProb', 'grayscaleProb', 'blurProb', 'solarizeProb', 'noiseProb', 'flipProb'] as const;

/** Reads a `views` section (`f` is that object); unknown fields are errors. */
export function readImageViewsConfig(f: Fields, defaultPreset: ViewPreset): ImageViewsConfig {
  const c: ImageViewsConfig = { preset: f.choice('preset', VIEW_PRESETS, defaultPreset) };
  const cropSize = f.optionalNumber('cropSize', { integer: true, min: 1 });
  if (cropSize !== undefined) c.cropSize = cropSize;
  const minScale = f.optionalNumber('cropMinScale', { above: 0, max: 1 });
  if (minScale !== undefined) c.cropMinScale = minScale;
  const maxScale = f.optionalNumber('cropMaxScale', { above: 0, max: 1 });
  if (maxScale !== undefined) c.cropMaxScale = maxScale;
  if (minScale !== undefined && maxScale !== undefined && minScale > maxScale) f.fail('cropMinScale', `must not exceed cropMaxScale (${maxScale}), got ${minScale}`);
  const strength = f.optionalNumber('jitterStrength', { min: 0 });
  if (strength !== undefined) c.jitterStrength = strength;
  for (const p of PROBABILITIES) {
    const v = f.optionalNumber(p, { min: 0, max: 1 });
    if (v !== undefined) c[p] = v;
  }
  const std = f.optionalNumber('noiseStd', { min: 0 });
  if (std !== undefined) c.noiseStd = std;
  f.done();
  return c;
}

/** The views section as JSON (for method configs, which must be JSON). */
export function viewsJson(c: ImageViewsConfig): { [k: string]: JsonValue } {
  return { ...c };
}

function presetViews(preset: ViewPreset): ViewAugmentConfig[] {
  switch (preset) {
    case 'simclr-cifar':
      return [SIMCLR_CIFAR_VIEW, SIMCLR_CIFAR_VIEW];
    case 'byol':
      return [...BYOL_VIEWS];
    case 'byol-cifar':
      return [...BYOL_CIFAR_VIEWS];
    case 'digits':
      return [DIGITS_VIEW, DIGITS_VIEW];
  }
}

/** One view's settings: the preset's, the overrides, the data's side as the default crop, no normalisation. */
export function resolveView(base: ViewAugmentConfig, c: ImageViewsConfig, imageSide: number): ViewAugmentConfig {
  const s = c.jitterStrength ?? 1;
  const j = base.colorJitter;
  return mergeViewConfig(base, {
    cropSize: c.cropSize ?? imageSide,
    crop: { minScale: c.cropMinScale ?? base.crop.minScale, maxScale: c.cropMaxScale ?? base.crop.maxScale },
    colorJitter: { prob: c.jitterProb ?? j.prob, brightness: j.brightness * s, contrast: j.contrast * s, saturation: j.saturation * s, hue: Math.min(0.5, j.hue * s) },
    grayscaleProb: c.grayscaleProb ?? base.grayscaleProb,
    blur: { prob: c.blurProb ?? base.blur.prob },
    solarizationProb: c.solarizeProb ?? base.solarizationProb,
    noise: { prob: c.noiseProb ?? base.noise.prob, std: c.noiseStd ?? base.noise.std },
    horizontalFlipProb: c.flipProb ?? base.horizontalFlipProb,
    normalize: null,
  });
}

/** The two-view generator of a `views` config for images of side `imageSide`. */
export function buildImageViews(c: ImageViewsConfig, imageSide: number): MultiViewGenerator {
  return new MultiViewGenerator(presetViews(c.preset).map((v) => buildViewPipeline(resolveView(v, c, imageSide))));
}
