import * as tf from '@tensorflow/tfjs-core';
import type { Encoder } from '../models/encoder.ts';
import { InputError, errorMessage } from '../util/errors.ts';
import { checkImageEncoder } from './image-tensor.ts';
import type { DistillMatch } from './distill.ts';

/**
 * Build-time shape checks of image distillation: both encoders read the data's images, and each target
 * teacher layer can be predicted from the student's representation. One forward of a blank image through
 * each encoder measures the widths and token counts (a ResNet's width and grid follow from its stages, a
 * ViT's from its patches). With `match: positions` the token counts must agree; widths may differ (the
 * linear heads map the student width to each teacher layer's). Errors name the field to change.
 * Returns the student width and each target layer's width, for the heads.
 */
export interface DistillWidths {
  student: number;
  teacher: number[];
}

interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

interface Tokens {
  count: number;
  dim: number;
}

function tokens(t: tf.Tensor3D | undefined): Tokens | undefined {
  return t ? { count: t.shape[1], dim: t.shape[2] } : undefined;
}

export function checkImageDistillShapes(
  student: Encoder,
  teacher: Encoder,
  targets: readonly number[],
  match: DistillMatch,
  image: ImageShape,
  layer: number | undefined,
  names: { key: string; teacherDir: string },
): DistillWidths {
  const field = (name: string) => `${names.key}.config.${name}`;
  checkImageEncoder(`${names.key} (distill)`, student, image);
  try {
    checkImageEncoder(`${names.key} (distill)`, teacher, image);
  } catch (e) {
    throw new InputError(`the teacher (${names.teacherDir}) cannot read this data: ${errorMessage(e)}`, { field: field('teacher') });
  }
  let rep: Tokens | undefined;
  let layers: (Tokens | undefined)[] = [];
  tf.tidy(() => {
    const x = tf.zeros([1, image.height, image.width, image.channels]);
    const s = student.forward(x, layer !== undefined ? { maxLayer: layer } : {});
    const t = teacher.forward(x, { maxLayer: Math.max(...targets) });
    rep = tokens(layer !== undefined ? s.hidden[layer] : s.output);
    layers = targets.map((l) => tokens(t.hidden[l]));
  });
  const r = rep as Tokens | undefined;
  if (!r) throw new Error(`${names.key} (distill): the student has no layer ${layer}`);
  const widths: number[] = [];
  layers.forEach((t, i) => {
    const l = targets[i];
    if (!t) throw new InputError(`teacher layer ${l} asked, the teacher (${names.teacherDir}) has layers 0..${teacher.numLayers}`, { field: field('teacherLayers') });
    if (match === 'positions' && t.count !== r.count) {
      throw new InputError(
        `teacher layer ${l} gives ${t.count} tokens per image, the student's representation ${r.count}: per-position distillation needs the same token grid (same total stride or patch size); set match: pooled, or change the student`,
        { field: field('match') },
      );
    }
    widths.push(t.dim);
  });
  return { student: r.dim, teacher: widths };
}
