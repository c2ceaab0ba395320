import * as tf from '@tensorflow/tfjs-core';
import type { Encoder } from '../models/encoder.ts';

/**
 * Initialises a student encoder from its teacher, as DistilHuBERT takes the teacher's CNN and first
 * transformer layers: student context layer i (0-based) gets teacher layer `teacherLayers[i]` (1-based),
 * every other student parameter (frontend, projections, positional conv, mask embedding, final norm)
 * the teacher parameter of the same name. Layer parameters are recognised by a `layers.<i>.` path
 * segment (`encoder.layers.3.fc1.weight`). Shapes must agree (same width, heads, FFN size); an error
 * names the parameter. Returns the names copied.
 */
const LAYER_PATH = /(^|\.)layers\.(\d+)\./;

export function initStudentFromTeacher(student: Encoder, teacher: Encoder, teacherLayers: readonly number[]): string[] {
  if (teacherLayers.length !== student.numLayers) {
    throw new Error(`${teacherLayers.length} teacher layer(s) given for ${student.numLayers} student layer(s); give one per student layer`);
  }
  for (const l of teacherLayers) {
    if (!(Number.isInteger(l) && l >= 1 && l <= teacher.numLayers)) throw new Error(`teacher layer ${l} does not exist (the teacher has layers 1..${teacher.numLayers})`);
  }
  const source = teacher.namedParameters();
  const copied: string[] = [];
  for (const [name, v] of student.namedParameters()) {
    const m = LAYER_PATH.exec(name);
    const from = m ? name.replace(LAYER_PATH, `${m[1]}layers.${teacherLayers[Number(m[2])] - 1}.`) : name;
    const t = source.get(from);
    if (!t) throw new Error(`student parameter "${name}" has no teacher parameter "${from}"`);
    if (t.shape.join(',') !== v.shape.join(',')) throw new Error(`student parameter "${name}" is [${v.shape}], teacher "${from}" is [${t.shape}]`);
    tf.tidy(() => v.assign(t));
    copied.push(name);
  }
  return copied;
}
