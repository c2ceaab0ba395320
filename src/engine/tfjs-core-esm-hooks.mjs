// Module resolution hooks for loading tfjs-core's ESM build (dist/**/*.js) in Node, used only to
// register the op gradients (see gradients.ts). Those files use extensionless relative imports
// ('./gradients/Abs_grad') and sit in a package without "type": "module", which Node's ESM loader
// refuses; these hooks add the extension (a file before a folder's index.js, as bundlers do) and load
// them as ES modules, untransformed. Nothing outside @tensorflow/tfjs-core/dist/ is touched.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const CORE_DIST = '/@tensorflow/tfjs-core/dist/';

export async function resolve(specifier, context, next) {
  if (context.parentURL && context.parentURL.includes(CORE_DIST) && (specifier.startsWith('./') || specifier.startsWith('../'))) {
    const path = fileURLToPath(new URL(specifier, context.parentURL));
    const file = path.endsWith('.js') ? path : existsSync(`${path}.js`) ? `${path}.js` : `${path}/index.js`;
    return { url: pathToFileURL(file).href, format: 'module', shortCircuit: true };
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (url.includes(CORE_DIST) && url.endsWith('.js')) {
    return { format: 'module', source: readFileSync(fileURLToPath(url), 'utf8'), shortCircuit: true };
  }
  return next(url, context);
}
