import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The shared folder beside the checkout (fixtures, data, bench inputs). */
export const sharedDir = process.env.SPEECH_SSL_SHARED ?? resolve(repoRoot, '../shared');
export const fixturesDir = resolve(sharedDir, 'fixtures/audio');
export const fsddDir = resolve(sharedDir, 'data/fsdd');
export const cifarDir = resolve(sharedDir, 'data/cifar10');
export const digitsDir = resolve(sharedDir, 'data/digits8x8');
/** The CLI entry, for tests that spawn the real CLI. */
export const cliPath = resolve(repoRoot, 'bin/speech-ssl.js');
