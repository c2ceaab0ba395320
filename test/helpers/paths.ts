import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The repository's own test data (each folder's README gives its source, licence and how it was made). */
export const testFixturesDir = resolve(repoRoot, 'test/fixtures');
/** torchaudio reference outputs for the audio frontend (index.json lists the cases). */
export const fixturesDir = resolve(testFixturesDir, 'audio');
/** Real FSDD recordings: the 400 of the embedded mini corpus (takes 0-9 of every digit by four speakers). */
export const fsddRecordingsDir = resolve(repoRoot, 'recipes/mini/corpus');
/** The fairseq MFCC reference rows of 40 of those recordings (test/fixtures/fsdd-mfcc39/README.md). */
export const fsddMfccDir = resolve(testFixturesDir, 'fsdd-mfcc39');
/** A CIFAR-10 subset as JPEG folders: 30 train and 10 test images per class. */
export const cifarDir = resolve(testFixturesDir, 'cifar10');
/** The 1,797 UCI 8x8 handwritten digits (digits.csv.gz). */
export const digitsDir = resolve(testFixturesDir, 'digits8x8');
/** The CLI entry, for tests that spawn the real CLI. */
export const cliPath = resolve(repoRoot, 'bin/speech-ssl.js');
