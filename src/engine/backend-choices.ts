/**
 * The tfjs backends a command can ask for, in a module of its own so that option parsing (extract's
 * model kinds) can list them without loading tfjs.
 */
/** Backend choices: `auto` picks the fastest that loads (tensorflow, then wasm, then cpu). */
export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];
