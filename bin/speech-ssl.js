#!/usr/bin/env node
// The `speech-ssl` command. In a checkout (src/ beside this folder and tsx installed, as after `npm ci`) it
// runs the TypeScript sources through tsx, so an edited source needs no rebuild; an installed package
// (no src/, no tsx) runs the compiled JavaScript in dist/, built by `npm run build` (run by `prepack`).
// tsx is found by Node's own module resolution, wherever npm placed it.
import { existsSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const source = new URL('src/cli/main.ts', root);
const compiled = new URL('dist/cli/main.js', root);

async function entry() {
  if (existsSync(source)) {
    const tsx = await import('tsx/esm/api').catch(() => null);
    if (tsx) {
      tsx.register();
      return source;
    }
  }
  if (existsSync(compiled)) return compiled;
  process.stderr.write(
    `speech-ssl: neither ${compiled.pathname} (run \`npm run build\`) nor tsx to run ${source.pathname} (run \`npm install\`) was found\n`,
  );
  process.exit(2);
}

const { main } = await import((await entry()).href);
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`speech-ssl: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
