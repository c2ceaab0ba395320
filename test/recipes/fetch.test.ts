import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.ts';

/** Runs `fetch_corpus ARGS...` from recipes/lib/fetch.sh in bash. */
function fetchCorpus(...args: string[]) {
  const script = `set -euo pipefail; source ${JSON.stringify(join(repoRoot, 'recipes/lib/fetch.sh'))}; fetch_corpus "$@"`;
  return spawnSync('bash', ['-c', script, 'fetch', ...args], { encoding: 'utf8' });
}

test('recipes/lib/fetch.sh: a corpus that is there is used; one that is not is downloaded and unpacked; a failed download says what to fetch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fetch-'));
  mkdirSync(join(dir, 'src/corpus-1a2b/recordings'), { recursive: true });
  writeFileSync(join(dir, 'src/corpus-1a2b/recordings/0_a_0.wav'), 'RIFF');
  assert.equal(spawnSync('tar', ['-czf', join(dir, 'corpus.tar.gz'), '-C', join(dir, 'src'), '.']).status, 0);
  const url = `file://${join(dir, 'corpus.tar.gz')}`;

  const got = fetchCorpus('the recordings', join(dir, 'data/fsdd/recordings'), url, '*/recordings');
  assert.equal(got.status, 0, got.stderr);
  assert.equal(readFileSync(join(dir, 'data/fsdd/recordings/0_a_0.wav'), 'utf8'), 'RIFF');
  assert.match(got.stdout, /downloaded to .*data\/fsdd\/recordings/);

  const again = fetchCorpus('the recordings', join(dir, 'data/fsdd/recordings'), 'file:///nowhere.tar.gz', '*/recordings');
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /using .*data\/fsdd\/recordings/);

  const whole = fetchCorpus('all of it', join(dir, 'whole'), url, '.');
  assert.equal(whole.status, 0, whole.stderr);
  assert.ok(existsSync(join(dir, 'whole/corpus-1a2b/recordings/0_a_0.wav')));

  const file = fetchCorpus('one file', join(dir, 'one.tar.gz'), url);
  assert.equal(file.status, 0, file.stderr);
  assert.ok(readFileSync(join(dir, 'one.tar.gz')).equals(readFileSync(join(dir, 'corpus.tar.gz'))));

  const offline = fetchCorpus('the digits CSV', join(dir, 'digits.csv.gz'), `file://${join(dir, 'missing.csv.gz')}`);
  assert.equal(offline.status, 1);
  assert.match(offline.stderr, /could not download file:\/\/.*missing\.csv\.gz\nDownload it yourself, then put the digits CSV at .*digits\.csv\.gz \(or pass --data DIR to where it is\)/);
  assert.ok(!existsSync(join(dir, 'digits.csv.gz')));

  const wrong = fetchCorpus('the recordings', join(dir, 'elsewhere'), url, '*/nothing');
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, /has no \*\/nothing/);
});
