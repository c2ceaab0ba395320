import * as tf from '@tensorflow/tfjs-core';
import { register } from 'node:module';

/**
 * Registers tfjs-core's op gradients. The Node bundle of @tensorflow/tfjs-core (what `import` gives)
 * contains the autodiff engine but no per-op gradient: the union package @tensorflow/tfjs registers them
 * from tfjs-core's ESM build, and that package is not a dependency here. So this loads tfjs-core's own
 * `dist/register_all_gradients.js` (ESM) through small resolution hooks (tfjs-core-esm-hooks.mjs). The
 * ESM copy shares the engine and the kernel/gradient registries with the bundle (tfjs keeps them on a
 * global), so the gradients it registers apply to every tensor. Takes ~0.5 s once per process.
 */
let loading: Promise<void> | null = null;

export function ensureGradients(): Promise<void> {
  if (tf.getGradient('Sum')) return Promise.resolve();
  loading ??= (async () => {
    register(new URL('./tfjs-core-esm-hooks.mjs', import.meta.url));
    await import('@tensorflow/tfjs-core/dist/register_all_gradients.js' as string);
    if (!tf.getGradient('Sum')) throw new Error('tfjs-core gradients did not register');
  })();
  return loading;
}
