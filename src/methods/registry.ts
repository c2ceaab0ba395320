import type { MethodDefinition } from './method.ts';
import { hubertDefinition } from './hubert.ts';
import { byolDefinition } from './byol.ts';
import { distillDefinition } from './distill.ts';
import { rotationDefinition } from './rotation.ts';
import { simclrDefinition } from './simclr.ts';
import { maskedPatchDefinition } from './masked-patch.ts';
import { cpcDefinition } from './cpc.ts';
import { wav2vec2Definition } from './wav2vec2.ts';
import { temporalGapDefinition } from './temporal-gap.ts';

/**
 * Method name -> definition. Adding a method is one file exporting a `MethodDefinition` and one line
 * here. A run can also be given its own registry (tests do), so nothing here is global state.
 */
export type MethodRegistry = Readonly<Record<string, MethodDefinition<unknown>>>;

export const METHODS: MethodRegistry = {
  hubert: hubertDefinition as MethodDefinition<unknown>,
  byol: byolDefinition as MethodDefinition<unknown>,
  distill: distillDefinition as MethodDefinition<unknown>,
  rotation: rotationDefinition as MethodDefinition<unknown>,
  simclr: simclrDefinition as MethodDefinition<unknown>,
  'masked-patch': maskedPatchDefinition as MethodDefinition<unknown>,
  cpc: cpcDefinition as MethodDefinition<unknown>,
  wav2vec2: wav2vec2Definition as MethodDefinition<unknown>,
  'temporal-gap': temporalGapDefinition as MethodDefinition<unknown>,
};
