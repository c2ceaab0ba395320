import type { Encoder } from '../models/encoder.ts';
import type { ImageDataInfo } from '../data/image-batch.ts';
import { checkPatchGrid, type PatchGridConfig } from '../image/views/patch-grid.ts';
import { InputError } from '../util/errors.ts';

/**
 * Build-time checks of a method that feeds the encoder patches cut from the images (relative patch
 * position, CPC over a patch grid) rather than whole images: the grid must fit the data's images, the
 * encoder must read the images' channels and, if it has a fixed input side (a ViT), the patch side.
 * `field` names the config field that sets the grid (`method m (cpc) config.grid`).
 */
export function checkPatchInputs(method: string, encoder: Encoder, image: ImageDataInfo | undefined, grid: PatchGridConfig, field: string): ImageDataInfo {
  if (!image) throw new InputError(`${method} over image patches reads image data (data.kind: image)`, { field });
  try {
    checkPatchGrid(grid, image.height, image.width);
  } catch (e) {
    throw new InputError((e as Error).message, { field });
  }
  const cfg = encoder.config as { inChannels?: number; imageSize?: number };
  if (cfg.inChannels !== undefined && cfg.inChannels !== image.channels) {
    throw new InputError(`the ${encoder.kind} encoder takes ${cfg.inChannels} channel(s), the images have ${image.channels} (set encoder.inChannels)`, { field: `${method} encoder` });
  }
  if (cfg.imageSize !== undefined && cfg.imageSize !== grid.patchSize) {
    throw new InputError(`the ${encoder.kind} encoder takes ${cfg.imageSize}x${cfg.imageSize} inputs, the patches are ${grid.patchSize}x${grid.patchSize} (set encoder.imageSize or the patchSize)`, { field });
  }
  return image;
}
