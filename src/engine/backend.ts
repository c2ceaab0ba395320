import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

/** Backend choices: `auto` picks the fastest that loads (tensorflow, then wasm, then cpu). */
export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

/**
 * Selects and initialises a tfjs backend. A native backend that fails to load reports one line on
 * `log` and falls back; never throws for `auto`. Returns the name of the backend now active.
 * (Minimal version; the engine layer adds fast paths.)
 */
export async function initBackend(choice: BackendChoice = 'auto', log: (msg: string) => void = () => {}): Promise<string> {
  const order: BackendChoice[] = choice === 'auto' ? ['tensorflow', 'wasm', 'cpu'] : [choice];
  for (const name of order) {
    try {
      if (name === 'tensorflow') {
        await import('@tensorflow/tfjs-node' as string);
      } else if (name === 'wasm') {
        await import('@tensorflow/tfjs-backend-wasm');
      }
      if (await tf.setBackend(name)) {
        await tf.ready();
        return tf.getBackend();
      }
      log(`backend ${name}: setBackend refused it`);
    } catch (e) {
      const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
      if (choice !== 'auto') throw new Error(`backend ${name} failed to load: ${msg}`);
      log(`backend ${name} not available (${msg}); falling back`);
    }
  }
  throw new Error('no tfjs backend could be initialised');
}
