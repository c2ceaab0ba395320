/**
 * Paths of sibling modules that are loaded by name at run time (CLI commands, worker entry points,
 * optional modules). From the sources (run through tsx) they end in `.ts`; from the compiled package
 * (dist/) in `.js`: the running module's own extension says which.
 */

/** `.ts` when the module at `metaUrl` is a TypeScript source, `.js` when it is compiled output. */
export function moduleExtension(metaUrl: string): '.ts' | '.js' {
  return new URL(metaUrl).pathname.endsWith('.ts') ? '.ts' : '.js';
}

/** The URL of module `relative` (no extension, e.g. `./worker`) beside the module at `metaUrl`. */
export function siblingModule(metaUrl: string, relative: string): URL {
  return new URL(relative + moduleExtension(metaUrl), metaUrl);
}

/**
 * Code for a `new Worker(code, { eval: true })` bootstrap that imports module `relative` beside
 * `metaUrl`, as an expression (a promise). A TypeScript module needs tsx's loader registered in the
 * worker first (loaders given to the parent by --import do not reach worker threads on Node 20);
 * compiled JavaScript is imported as it is.
 */
export function workerImportCode(metaUrl: string, relative: string): string {
  const url = siblingModule(metaUrl, relative).href;
  if (moduleExtension(metaUrl) === '.js') return `import(${JSON.stringify(url)})`;
  let tsxApi: string | null = null;
  try {
    tsxApi = import.meta.resolve('tsx/esm/api');
  } catch {
    tsxApi = null;
  }
  if (!tsxApi) return `import(${JSON.stringify(url)})`;
  return `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(url)}); })`;
}
