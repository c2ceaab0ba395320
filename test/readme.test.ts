/**
 * The README's command examples, run in the order written, each compared with the output the README
 * shows (test/helpers/readme-examples.ts gives the rule: `~` before a figure that varies, `...` for lines
 * left out). Their stated prerequisite is `npm start`; of it they read only the mini recipe's stages 1-4
 * (manifest, features, k-means, labels under exp/mini), which this test runs first, in a fresh folder
 * whose `recipes`, `bin` and `test` (the pretrained fixtures) link to the repository's, so every relative path in the README holds there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, repoRoot } from './helpers/paths.ts';
import { compareOutput, lineRegex, readmeExamples } from './helpers/readme-examples.ts';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

test('README examples: the comparison rule accepts marked figures and left-out lines, and nothing else', () => {
  const shown = ['kmeans: k 50, 6718 frames, inertia ~1.23e+6, ~0.4 s -> exp/km', '...', 'done'];
  assert.equal(compareOutput(shown, ['kmeans: k 50, 6718 frames, inertia 9.87e+5, 12 s -> exp/km', 'a', 'b', 'done']), null);
  assert.equal(compareOutput(shown, ['kmeans: k 50, 6718 frames, inertia 9.87e+5, 12 s -> exp/km', 'done']), null);
  assert.match(compareOutput(shown, ['kmeans: k 50, 6719 frames, inertia 9.87e+5, 12 s -> exp/km', 'done'])!, /not printed/);
  assert.match(compareOutput(['a', 'b'], ['a', 'b', 'c'])!, /do not line up/);
  assert.ok(lineRegex('fold  train   test').test('fold train test'), 'runs of spaces are one gap');
  assert.ok(lineRegex('loss 4.94  ...  lr ~5.00e-4').test('loss 4.94  x 1  y 2  lr 1.2e-3'));
  assert.ok(!lineRegex('loss 4.94').test('loss 4.95'));
  const examples = readmeExamples('text\n```\n$ a --b\nout 1\n\n$ c\n```\n$ not in a fence\n```sh\n$ d\n```\n');
  assert.deepEqual(examples.map((e) => [e.command, e.expected]), [['a --b', ['out 1', '']], ['c', []], ['d', []]]);
});

test('README examples: each runs in order after the mini recipe\'s stages 1-4 and prints what the README shows', () => {
  const examples = readmeExamples(readme);
  assert.ok(examples.length >= 8, `${examples.length} examples found`);
  const work = mkdtempSync(join(tmpdir(), 'readme-'));
  for (const d of ['recipes', 'bin', 'test']) symlinkSync(join(repoRoot, d), join(work, d));
  // `speech-ssl` on PATH is the checkout's CLI, as `npx speech-ssl` or a global install gives it.
  const pathDir = join(work, '.path');
  mkdirSync(pathDir);
  symlinkSync(cliPath, join(pathDir, 'speech-ssl'));
  const env = { ...process.env, PATH: `${pathDir}:${process.env.PATH ?? ''}`, CI: '1' };
  const prereq = spawnSync('bash', ['recipes/mini/run.sh', '--stop-stage', '4'], { cwd: work, env, encoding: 'utf8' });
  assert.equal(prereq.status, 0, `mini recipe stages 1-4: ${prereq.stdout}\n${prereq.stderr}`);
  for (const ex of examples) {
    // The whole line's stderr is shown too (`cmd || echo "exit $?"` shows a refused input and its status).
    const r = spawnSync('bash', ['-c', `{ ${ex.command}\n} 2>&1`], { cwd: work, env, encoding: 'utf8' });
    assert.equal(r.status, 0, `README.md:${ex.line}: \`${ex.command}\` exited ${r.status}:\n${r.stdout}`);
    const diff = compareOutput(ex.expected, r.stdout.split('\n'));
    assert.equal(diff, null, `README.md:${ex.line}: \`${ex.command}\`: ${diff}`);
  }
});
