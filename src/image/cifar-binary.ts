/**
 * The CIFAR-10 binary format (the "binary version" of the data set): each batch file is a run of
 * 3,073-byte records, one label byte (0..9) then 3,072 pixel bytes, the 1,024 red values of a 32x32 image
 * row-major, then green, then blue (CHW). `data_batch_1.bin`..`data_batch_5.bin` are the training set,
 * `test_batch.bin` the test set, `batches.meta.txt` the class names, one a line.
 * A record with a bad label, or an incomplete record at the end of a truncated file, is skipped and reported.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, errorMessage } from '../util/errors.ts';
import { ImageDataset, type LoadFailure } from './dataset.ts';
import { type Image, createImage } from './image.ts';

export const CIFAR_SIDE = 32;
export const CIFAR_PIXELS = CIFAR_SIDE * CIFAR_SIDE;
export const CIFAR_RECORD_BYTES = 1 + 3 * CIFAR_PIXELS;
export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

export interface CifarBatch {
  images: Image[];
  labels: number[];
  /** `file#record` per kept record. */
  sources: string[];
  failures: LoadFailure[];
}

/** One CHW record (3,072 bytes after the label) to an HWC float image. */
export function cifarRecordToImage(bytes: Uint8Array, offset: number): Image {
  const img = createImage(CIFAR_SIDE, CIFAR_SIDE, 3);
  const out = img.data;
  const scale = 1 / 255;
  for (let c = 0; c < 3; c++) {
    const plane = offset + c * CIFAR_PIXELS;
    for (let p = 0; p < CIFAR_PIXELS; p++) out[p * 3 + c] = bytes[plane + p] * scale;
  }
  return img;
}

/** Parses the bytes of one batch file; `file` names it in sources and failures. */
export function parseCifarBatch(bytes: Uint8Array, file: string, numClasses = CIFAR10_CLASSES.length): CifarBatch {
  const batch: CifarBatch = { images: [], labels: [], sources: [], failures: [] };
  if (bytes.length === 0) {
    batch.failures.push({ file, problem: 'empty file' });
    return batch;
  }
  const whole = Math.floor(bytes.length / CIFAR_RECORD_BYTES);
  for (let r = 0; r < whole; r++) {
    const at = r * CIFAR_RECORD_BYTES;
    const label = bytes[at];
    if (label >= numClasses) {
      batch.failures.push({ file, problem: `record ${r}: label byte ${label} is outside 0..${numClasses - 1}` });
      continue;
    }
    batch.images.push(cifarRecordToImage(bytes, at + 1));
    batch.labels.push(label);
    batch.sources.push(`${file}#${r}`);
  }
  const rest = bytes.length - whole * CIFAR_RECORD_BYTES;
  if (rest > 0) {
    batch.failures.push({
      file,
      problem: `truncated: ${bytes.length} bytes is not a whole number of ${CIFAR_RECORD_BYTES}-byte records; the last ${rest} bytes (record ${whole}) were skipped`,
    });
  }
  return batch;
}

export interface CifarBinaryResult {
  train: ImageDataset;
  test: ImageDataset;
  classNames: string[];
  failures: LoadFailure[];
}

function readBatchFiles(files: string[], classNames: string[], failures: LoadFailure[]): ImageDataset {
  const images: Image[] = [];
  const labels: number[] = [];
  const sources: string[] = [];
  for (const file of files) {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      failures.push({ file, problem: `cannot read: ${errorMessage(e)}` });
      continue;
    }
    const b = parseCifarBatch(bytes, file, classNames.length);
    images.push(...b.images);
    labels.push(...b.labels);
    sources.push(...b.sources);
    failures.push(...b.failures);
  }
  return new ImageDataset(images, Int32Array.from(labels), classNames, sources);
}

/**
 * Loads a `cifar-10-batches-bin` folder: every `data_batch_<n>.bin` present (n = 1..5) as train and
 * `test_batch.bin` as test. Class names come from `batches.meta.txt` when present.
 */
export function loadCifarBinary(dir: string): CifarBinaryResult {
  const trainFiles = [1, 2, 3, 4, 5].map((n) => join(dir, `data_batch_${n}.bin`)).filter((f) => existsSync(f));
  const testFile = join(dir, 'test_batch.bin');
  if (trainFiles.length === 0 && !existsSync(testFile)) {
    throw new InputError('no CIFAR-10 batch files (expected data_batch_1.bin..data_batch_5.bin and test_batch.bin)', { file: dir });
  }
  let classNames = CIFAR10_CLASSES;
  const meta = join(dir, 'batches.meta.txt');
  if (existsSync(meta)) {
    const names = readFileSync(meta, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
    if (names.length === 0) throw new InputError('no class names in the file', { file: meta });
    classNames = names;
  }
  const failures: LoadFailure[] = [];
  const train = readBatchFiles(trainFiles, classNames, failures);
  const test = readBatchFiles(existsSync(testFile) ? [testFile] : [], classNames, failures);
  return { train, test, classNames, failures };
}
