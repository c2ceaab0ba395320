// `npm run build` (also run by `prepack`, so `npm pack`, `npm publish` and installs from git build it):
// compiles src/ to ESM JavaScript and .d.ts files in dist/ with tsc (tsconfig.build.json; relative `.ts`
// imports are rewritten to `.js`), then copies the non-TypeScript modules src/ loads at run time.
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  // An install of the published package has dist/ already and no TypeScript (a devDependency).
  process.stderr.write('build: typescript is not installed; skipping (dist/ ships prebuilt)\n');
  process.exit(0);
}

rmSync(dist, { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);

function assets(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return assets(p);
    return e.name.endsWith('.mjs') ? [p] : [];
  });
}
for (const file of assets(src)) cpSync(file, join(dist, relative(src, file)));
