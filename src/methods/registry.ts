import type { MethodDefinition } from './method.ts';
import { hubertDefinition } from './hubert.ts';
import { cpcDefinition } from './cpc.ts';

/**
 * Method name -> definition. Adding a method is one file exporting a `MethodDefinition` and one line
 * here. A run can also be given its own registry (tests do), so nothing here is global state.
 */
export type MethodRegistry = Readonly<Record<string, MethodDefinition<unknown>>>;

export const METHODS: MethodRegistry = {
  hubert: hubertDefinition as MethodDefinition<unknown>,
  cpc: cpcDefinition as MethodDefinition<unknown>,
};
