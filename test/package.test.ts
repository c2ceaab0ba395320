/**
 * The package manifest as npm publishes it: entry points on the compiled files that `npm run build` makes
 * from the sources, nothing a consumer runs depending on a devDependency, the install-script policy that
 * keeps onnxruntime-node's CUDA download (and npm's warnings) out of `npm ci`. `.ci/package-check`
 * installs the real tarball; this checks the manifest without building.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessSync, constants, existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { builtinModules } from 'node:module';
import { repoRoot } from './helpers/paths.ts';

interface Manifest {
  main: string; types: string; bin: Record<string, string>; files: string[];
  exports: { '.': { types: string; default: string } };
  scripts: Record<string, string>; allowScripts: Record<string, boolean>;
  dependencies: Record<string, string>; optionalDependencies: Record<string, string>; devDependencies: Record<string, string>;
}
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as Manifest;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

test('package.json: entry points are the compiled dist/ files of existing sources; the bin is executable', () => {
  assert.equal(pkg.exports['.'].default, './dist/index.js');
  assert.equal(pkg.exports['.'].types, './dist/index.d.ts');
  assert.equal(pkg.main, pkg.exports['.'].default);
  assert.equal(pkg.types, pkg.exports['.'].types);
  assert.ok(existsSync(join(repoRoot, 'src/index.ts')));
  assert.equal(pkg.bin['speech-ssl'], 'bin/speech-ssl.js');
  accessSync(join(repoRoot, pkg.bin['speech-ssl']), constants.X_OK);
  assert.match(readFileSync(join(repoRoot, pkg.bin['speech-ssl']), 'utf8'), /^#!\/usr\/bin\/env node\n/);
  assert.equal(pkg.scripts.prepack, 'node scripts/build.mjs');
  for (const f of ['dist', 'bin', 'README.md', 'LICENSE', '!recipes/mini/corpus']) assert.ok(pkg.files.includes(f), f);
  assert.match(readFileSync(join(repoRoot, 'LICENSE'), 'utf8'), /^MIT License/);
});

test('package.json: every package src/ imports is a runtime dependency; tsx, typescript, node-wav are dev only', () => {
  const runtime = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.optionalDependencies)]);
  const builtins = new Set(builtinModules);
  const missing: string[] = [];
  for (const file of sources(join(repoRoot, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\()\s*'([^'.][^']*)'/g)) {
      const spec = m[1];
      if (spec.startsWith('node:') || builtins.has(spec)) continue;
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      if (!runtime.has(name)) missing.push(`${relative(repoRoot, file)}: ${spec}`);
    }
  }
  assert.deepEqual(missing, []);
  for (const dev of ['tsx', 'typescript', 'node-wav']) {
    assert.ok(pkg.devDependencies[dev], `${dev} is a devDependency`);
    assert.ok(!runtime.has(dev), `${dev} is not a runtime dependency`);
  }
});

test('install scripts: onnxruntime-node\'s CUDA download denied and esbuild\'s approved in allowScripts; no .npmrc', () => {
  assert.deepEqual(pkg.allowScripts, { esbuild: true, 'onnxruntime-node': false });
  assert.ok(!existsSync(join(repoRoot, '.npmrc')), 'an .npmrc key npm does not know makes every npm call warn');
});
