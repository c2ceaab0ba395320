import type { ViewSamplerDefinition } from './two-view-sampler.ts';
import { byolaAudioViewsDefinition } from './byola-audio.ts';
import { byolImageViewsDefinition } from './byol-image.ts';

/**
 * View generators two-view methods (BYOL) can name in `views.kind`. Adding one (image crops and colour)
 * is one file exporting a `ViewSamplerDefinition` and one line here. `VIEW_KIND_DEFAULTS` picks the kind
 * when the config names none, by the data kind.
 */
export const VIEW_SAMPLERS: Readonly<Record<string, ViewSamplerDefinition<unknown>>> = {
  'byol-a': byolaAudioViewsDefinition as ViewSamplerDefinition<unknown>,
  'byol-image': byolImageViewsDefinition as ViewSamplerDefinition<unknown>,
};

export const VIEW_KIND_DEFAULTS: Readonly<Record<string, string>> = {
  features: 'byol-a',
  image: 'byol-image',
};
