/**
 * The import graph follows the data flow: a folder of src/ imports only folders on its own floor or
 * below (../shared/DESIGN.md, docs/architecture.md). The floors are written once, here; a new folder must
 * be given a floor before anything in it can pass.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { repoRoot } from '../helpers/paths.ts';

/** Lowest first. */
export const FLOORS: readonly (readonly string[])[] = [
  ['util'],
  ['audio', 'image', 'engine'],
  ['nn', 'data', 'cluster'],
  ['models'],
  ['checkpoint'],
  ['export'],
  ['features'],
  ['methods'],
  ['train'],
  ['eval'],
  ['report'],
  ['cli'],
];

const src = join(repoRoot, 'src');

function floorOf(folder: string): number {
  const i = FLOORS.findIndex((f) => f.includes(folder));
  return i;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|mjs)$/.test(name)) out.push(p);
  }
  return out;
}

/** Relative specifiers of static imports, re-exports, dynamic imports and worker URLs. */
export function relativeImports(text: string): string[] {
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|new URL\(\s*)(['"])(\.{1,2}\/[^'"]+)\1/g;
  return [...text.matchAll(re)].map((m) => m[2]!);
}

function topFolder(file: string): string | undefined {
  const rel = relative(src, file).split(sep);
  return rel.length > 1 ? rel[0] : undefined;
}

test('every folder of src/ has a floor', () => {
  const folders = readdirSync(src).filter((n) => statSync(join(src, n)).isDirectory());
  const missing = folders.filter((f) => floorOf(f) < 0);
  assert.deepEqual(missing, [], `folders without a floor in test/architecture/import-floors.test.ts: ${missing.join(', ')}`);
});

test('no folder of src/ imports a folder on a higher floor', () => {
  const violations: string[] = [];
  for (const file of sourceFiles(src)) {
    const from = topFolder(file);
    if (!from) continue; // src/index.ts is the public surface, above every floor
    for (const spec of relativeImports(readFileSync(file, 'utf8'))) {
      const to = topFolder(resolve(dirname(file), spec));
      if (!to || to === from) continue;
      if (floorOf(to) > floorOf(from)) violations.push(`${relative(repoRoot, file)} (${from}, floor ${floorOf(from)}) imports ${spec} (${to}, floor ${floorOf(to)})`);
    }
  }
  assert.deepEqual(violations, []);
});

test('the floor check sees every kind of import it must see', () => {
  const text = [
    "import { a } from '../x/a.ts';",
    "export { b } from './b.ts';",
    "const m = await import('../y/m.ts');",
    "import '../z/side-effect.ts';",
    "new URL('./worker.ts', import.meta.url);",
    "import { c } from 'node:fs';",
  ].join('\n');
  assert.deepEqual(relativeImports(text), ['../x/a.ts', './b.ts', '../y/m.ts', '../z/side-effect.ts', './worker.ts']);
});
