import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { cifarDir, digitsDir } from '../helpers/paths.ts';
import { loadImageFolder, loadImageFolderSplits } from '../../src/image/image-folder.ts';
import { decodeImage } from '../../src/image/decode.ts';
import { CIFAR_RECORD_BYTES, loadCifarBinary, parseCifarBatch } from '../../src/image/cifar-binary.ts';
import { loadDigitsCsv, parseDigitsCsv } from '../../src/image/digits-csv.ts';
import { stratifiedSplit } from '../../src/image/dataset.ts';
import { pixel } from '../../src/image/image.ts';
import { InputError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';

/** A 16x12 RGB test card: smooth gradients per channel, as RGBA bytes. */
function testCard(width = 16, height = 12): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      rgba[i] = Math.round((255 * x) / (width - 1));
      rgba[i + 1] = Math.round((255 * y) / (height - 1));
      rgba[i + 2] = 200;
      rgba[i + 3] = 255;
    }
  }
  return rgba;
}

function encodePng(rgba: Uint8Array, width = 16, height = 12): Buffer {
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba);
  return PNG.sync.write(png);
}

test('decode: PNG is exact, JPEG (quality 100) within a few levels, channels are R, G, B in HWC order', () => {
  const rgba = testCard();
  const png = encodePng(rgba);
  const p = decodeImage(png, 'card.png');
  assert.deepEqual([p.height, p.width, p.channels], [12, 16, 3]);
  for (const [y, x] of [[0, 0], [5, 9], [11, 15]]) {
    for (let c = 0; c < 3; c++) assert.equal(Math.round(pixel(p, y, x, c) * 255), rgba[(y * 16 + x) * 4 + c]);
  }
  const jpg = jpeg.encode({ width: 16, height: 12, data: Buffer.from(rgba) }, 100).data;
  const j = decodeImage(jpg, 'card.jpg');
  assert.deepEqual([j.height, j.width, j.channels], [12, 16, 3]);
  let worst = 0;
  for (let y = 0; y < 12; y++) for (let x = 0; x < 16; x++) for (let c = 0; c < 3; c++) {
    worst = Math.max(worst, Math.abs(pixel(j, y, x, c) * 255 - rgba[(y * 16 + x) * 4 + c]));
  }
  assert.ok(worst <= 6, `JPEG round trip off by ${worst} levels`);
  const luma = decodeImage(png, 'card.png', { channels: 1 });
  assert.equal(luma.channels, 1);
  const [r, g, b] = [rgba[(5 * 16 + 9) * 4], rgba[(5 * 16 + 9) * 4 + 1], 200];
  assert.ok(Math.abs(pixel(luma, 5, 9, 0) - (0.2989 * r + 0.587 * g + 0.114 * b) / 255) < 1e-5);
});

test('decode: empty, foreign and truncated files throw InputError naming the file and the problem', () => {
  const jpg = jpeg.encode({ width: 16, height: 12, data: Buffer.from(testCard()) }, 90).data;
  const png = encodePng(testCard());
  const cases: [Uint8Array, RegExp][] = [
    [new Uint8Array(0), /x\.img: empty file/],
    [Buffer.from('hello, not an image'), /x\.img: not a JPEG or PNG file/],
    [jpg.subarray(0, jpg.length - 40), /x\.img: corrupt or truncated JPEG/],
    [jpg.subarray(0, 200), /x\.img: corrupt or truncated JPEG/],
    [png.subarray(0, png.length - 20), /x\.img: corrupt or truncated PNG/],
  ];
  for (const [bytes, re] of cases) {
    assert.throws(() => decodeImage(bytes, 'x.img'), (e: unknown) => e instanceof InputError && re.test(e.message));
  }
});

test('image folder: corrupt files are skipped and reported; the rest load with folder labels', () => {
  const dir = mkdtempSync(join(tmpdir(), 'imgfolder-'));
  const jpg = jpeg.encode({ width: 16, height: 12, data: Buffer.from(testCard()) }, 90).data;
  const png = encodePng(testCard());
  mkdirSync(join(dir, 'dogs'));
  mkdirSync(join(dir, 'cats'));
  writeFileSync(join(dir, 'cats', 'a.jpg'), jpg);
  writeFileSync(join(dir, 'cats', 'b.JPEG'), jpg);
  writeFileSync(join(dir, 'cats', 'broken.jpg'), jpg.subarray(0, 100));
  writeFileSync(join(dir, 'cats', 'notes.txt'), 'ignored');
  writeFileSync(join(dir, 'dogs', 'c.png'), png);
  writeFileSync(join(dir, 'dogs', 'empty.png'), new Uint8Array(0));
  const { dataset, failures } = loadImageFolder(dir);
  assert.deepEqual(dataset.classNames, ['cats', 'dogs']);
  assert.equal(dataset.size, 3);
  assert.deepEqual(Array.from(dataset.labels), [0, 0, 1]);
  assert.deepEqual(failures.map((f) => f.file).sort(), [join(dir, 'cats', 'broken.jpg'), join(dir, 'dogs', 'empty.png')]);
  assert.match(failures.find((f) => f.file.endsWith('broken.jpg'))!.problem, /^corrupt or truncated JPEG/);
  assert.equal(failures.find((f) => f.file.endsWith('empty.png'))!.problem, 'empty file');
  const resized = loadImageFolder(dir, { size: { height: 8, width: 8 } }).dataset;
  assert.deepEqual(resized.toBatch().shape, [3, 8, 8, 3]);
});

test('image folder: the shared CIFAR-10 subset loads whole, 1000/200 per class, with CIFAR-10 colour statistics', () => {
  const { splits, classNames, failures } = loadImageFolderSplits(cifarDir, ['train', 'test']);
  assert.deepEqual(failures, []);
  assert.deepEqual(classNames, ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);
  assert.deepEqual(splits.train.countsPerClass(), new Array(10).fill(1000));
  assert.deepEqual(splits.test.countsPerClass(), new Array(10).fill(200));
  assert.deepEqual(splits.train.uniformShape(), { height: 32, width: 32, channels: 3 });
  assert.equal(splits.train.sources[3000], join(cifarDir, 'train', 'cat', '0000.jpg'));
  assert.equal(splits.train.label(3000), 3);
  // Per-channel mean and std over the train subset against CIFAR-10's published training-set statistics
  // (0.4914, 0.4822, 0.4465) / (0.2470, 0.2435, 0.2616): a channel swap or a scaling slip would miss them.
  const sum = [0, 0, 0];
  const sq = [0, 0, 0];
  let n = 0;
  for (const img of splits.train.images) {
    for (let i = 0; i < img.data.length; i += 3) {
      for (let c = 0; c < 3; c++) {
        sum[c] += img.data[i + c];
        sq[c] += img.data[i + c] ** 2;
      }
      n++;
    }
  }
  const mean = sum.map((s) => s / n);
  const std = sq.map((s, c) => Math.sqrt(s / n - mean[c] ** 2));
  [0.4914, 0.4822, 0.4465].forEach((m, c) => assert.ok(Math.abs(mean[c] - m) < 0.01, `channel ${c} mean ${mean[c]}`));
  [0.247, 0.2435, 0.2616].forEach((s, c) => assert.ok(Math.abs(std[c] - s) < 0.01, `channel ${c} std ${std[c]}`));
});

test('image folder: a corrupt copy inside a split is reported and the split keeps going', () => {
  const root = mkdtempSync(join(tmpdir(), 'imgsplits-'));
  for (const split of ['train', 'test']) for (const cls of ['cat', 'ship']) mkdirSync(join(root, split, cls), { recursive: true });
  for (let i = 0; i < 3; i++) {
    copyFileSync(join(cifarDir, 'train', 'cat', `000${i}.jpg`), join(root, 'train', 'cat', `${i}.jpg`));
    copyFileSync(join(cifarDir, 'train', 'ship', `000${i}.jpg`), join(root, 'train', 'ship', `${i}.jpg`));
  }
  copyFileSync(join(cifarDir, 'test', 'ship', '0000.jpg'), join(root, 'test', 'ship', '0.jpg'));
  const whole = readFileSync(join(cifarDir, 'test', 'cat', '0000.jpg'));
  writeFileSync(join(root, 'test', 'cat', 'cut.jpg'), whole.subarray(0, whole.length >> 1));
  const r = loadImageFolderSplits(root);
  assert.deepEqual(Object.keys(r.splits).sort(), ['test', 'train']);
  assert.equal(r.splits.train.size, 6);
  assert.equal(r.splits.test.size, 1);
  assert.equal(r.splits.test.label(0), 1);
  assert.equal(r.failures.length, 1);
  assert.equal(r.failures[0].file, join(root, 'test', 'cat', 'cut.jpg'));
});

/** One CIFAR record: label, then R, G, B planes with value (plane * 50 + y * 3 + x) mod 256. */
function cifarRecord(label: number): Uint8Array {
  const rec = new Uint8Array(CIFAR_RECORD_BYTES);
  rec[0] = label;
  for (let c = 0; c < 3; c++) for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) rec[1 + c * 1024 + y * 32 + x] = (c * 50 + y * 3 + x) % 256;
  return rec;
}

test('CIFAR binary: CHW records become HWC images; a bad label and a truncated tail are reported', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cifarbin-'));
  const batch = Buffer.concat([cifarRecord(7), cifarRecord(12), cifarRecord(2), cifarRecord(5).subarray(0, 1000)]);
  writeFileSync(join(dir, 'data_batch_1.bin'), batch);
  writeFileSync(join(dir, 'test_batch.bin'), Buffer.concat([cifarRecord(9)]));
  writeFileSync(join(dir, 'batches.meta.txt'), 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n');
  const r = loadCifarBinary(dir);
  assert.equal(r.classNames.length, 10);
  assert.deepEqual(Array.from(r.train.labels), [7, 2]);
  assert.deepEqual(Array.from(r.test.labels), [9]);
  assert.equal(r.train.sources[1], `${join(dir, 'data_batch_1.bin')}#2`);
  const img = r.train.get(0);
  assert.deepEqual([img.height, img.width, img.channels], [32, 32, 3]);
  for (const [y, x, c] of [[0, 0, 0], [3, 17, 1], [31, 31, 2], [10, 2, 2]]) {
    assert.equal(Math.round(pixel(img, y, x, c) * 255), (c * 50 + y * 3 + x) % 256);
  }
  assert.equal(r.failures.length, 2);
  assert.match(r.failures[0].problem, /record 1: label byte 12 is outside 0\.\.9/);
  assert.match(r.failures[1].problem, /truncated: .*\(record 3\) were skipped/);
  assert.deepEqual(parseCifarBatch(new Uint8Array(0), 'e.bin').failures, [{ file: 'e.bin', problem: 'empty file' }]);
  assert.throws(() => loadCifarBinary(mkdtempSync(join(tmpdir(), 'nocifar-'))), /no CIFAR-10 batch files/);
});

test('digits CSV: 1,797 images of 8x8x1 in [0, 1], the per-class counts, the first row by hand', () => {
  const { dataset, failures } = loadDigitsCsv(join(digitsDir, 'digits.csv.gz'));
  assert.deepEqual(failures, []);
  assert.equal(dataset.size, 1797);
  assert.deepEqual(dataset.countsPerClass(), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
  const first = dataset.get(0);
  assert.deepEqual([first.height, first.width, first.channels], [8, 8, 1]);
  // First row of the file: 0,0,5,13,9,1,0,0, 0,0,13,15,10,15,5,0, ... label 0.
  assert.equal(dataset.label(0), 0);
  assert.equal(pixel(first, 0, 2, 0), 5 / 16);
  assert.equal(pixel(first, 0, 3, 0), 13 / 16);
  assert.equal(pixel(first, 1, 5, 0), 15 / 16);
  const { train, test: held } = stratifiedSplit(dataset, 0.2, new Rng(1));
  assert.equal(train.size + held.size, 1797);
  held.countsPerClass().forEach((n, d) => assert.equal(n, Math.round(dataset.countsPerClass()[d] * 0.2)));
});

test('digits CSV: malformed rows are skipped with their line numbers', () => {
  const good = [...new Array(64).fill(3), 4].join(',');
  const text = [good, '1,2,3', [...new Array(64).fill(0), 11].join(','), [...new Array(63).fill(0), 'x', 1].join(','), good].join('\n');
  const { dataset, failures } = parseDigitsCsv(text, 'd.csv');
  assert.equal(dataset.size, 2);
  assert.deepEqual(failures.map((f) => f.problem.split(':')[0]), ['line 2', 'line 3', 'line 4']);
  assert.match(failures[1].problem, /label is "11"/);
  assert.match(failures[2].problem, /pixel 63 is "x"/);
});
