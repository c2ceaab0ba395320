import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.ts';
import { runCli } from './cli-helpers.ts';

test('speech-ssl --version prints the package version; a mistyped command names the nearest one', async () => {
  const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
  const v = await runCli(['--version']);
  assert.equal(v.code, 0, v.stderr);
  assert.equal(v.stdout, `speech-ssl ${version}\n`);
  const typo = await runCli(['extrct', 'x']);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /^speech-ssl: unknown command "extrct" \(did you mean "extract"\?\) \(known: eval, export, extract, /);
  const far = await runCli(['frobnicate']);
  assert.equal(far.code, 2);
  assert.doesNotMatch(far.stderr, /did you mean/);
});
