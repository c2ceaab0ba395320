import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.ts';

function shellScripts(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? shellScripts(p) : n.endsWith('.sh') ? [p] : [];
  });
}

test('no recipe stage swallows a failure (no "|| true" / "|| :" after a command)', () => {
  const scripts = shellScripts(join(repoRoot, 'recipes'));
  assert.ok(scripts.length >= 8, `${scripts.length} scripts`);
  const offences: string[] = [];
  for (const f of scripts) {
    readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
      const code = line.replace(/#.*$/, '');
      if (/\|\|\s*(true|:)\s*(;|$|\))/.test(code)) offences.push(`${f}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(offences, []);
});

test('fsdd stage 9 measures iteration-2 PNMI at 2 MFCC frames per 50 Hz label', () => {
  const run = readFileSync(join(repoRoot, 'recipes', 'fsdd', 'run.sh'), 'utf8');
  assert.match(run, /--km "\$exp\/labels2\/all\.km" --frames-per-label 2/);
});
