/**
 * The 8x8 handwritten digits as scikit-learn ships them (`digits.csv.gz`): one image a row, 64 pixel values
 * (row-major, integers 0..16) then the label 0..9, no header. Pixels are scaled to [0, 1] by /16 and the
 * images have one channel. Gzip is detected from the bytes. A malformed row is skipped and reported with
 * its line number.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { InputError, errorMessage } from '../util/errors.ts';
import { ImageDataset, type LoadFailure } from './dataset.ts';
import { type Image, createImage } from './image.ts';

export const DIGITS_SIDE = 8;
export const DIGITS_MAX_VALUE = 16;

export interface DigitsResult {
  dataset: ImageDataset;
  failures: LoadFailure[];
}

export function loadDigitsCsv(file: string): DigitsResult {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new InputError(`cannot read: ${errorMessage(e)}`, { file });
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new InputError(`corrupt gzip: ${errorMessage(e)}`, { file });
    }
  }
  return parseDigitsCsv(bytes.toString('utf8'), file);
}

/** Parses the CSV text; `file` names it in sources and failures. */
export function parseDigitsCsv(text: string, file: string): DigitsResult {
  const pixels = DIGITS_SIDE * DIGITS_SIDE;
  const images: Image[] = [];
  const labels: number[] = [];
  const sources: string[] = [];
  const failures: LoadFailure[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const fields = line.split(',');
    const where = `line ${i + 1}`;
    if (fields.length !== pixels + 1) {
      failures.push({ file, problem: `${where}: ${fields.length} values, expected ${pixels + 1} (64 pixels and a label)` });
      continue;
    }
    const values = fields.map((f) => Number(f));
    const bad = values.findIndex((v, k) => !Number.isInteger(v) || v < 0 || v > (k < pixels ? DIGITS_MAX_VALUE : 9));
    if (bad >= 0) {
      const what = bad < pixels ? `pixel ${bad} is "${fields[bad]}", expected an integer 0..${DIGITS_MAX_VALUE}` : `label is "${fields[bad]}", expected 0..9`;
      failures.push({ file, problem: `${where}: ${what}` });
      continue;
    }
    const img = createImage(DIGITS_SIDE, DIGITS_SIDE, 1);
    for (let p = 0; p < pixels; p++) img.data[p] = values[p] / DIGITS_MAX_VALUE;
    images.push(img);
    labels.push(values[pixels]);
    sources.push(`${file}:${i + 1}`);
  }
  if (images.length === 0 && failures.length === 0) throw new InputError('no rows', { file });
  const classNames = Array.from({ length: 10 }, (_, d) => String(d));
  return { dataset: new ImageDataset(images, Int32Array.from(labels), classNames, sources), failures };
}
