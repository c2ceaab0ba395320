import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';

/**
 * A small image folder on disk for the image data kind's tests: root/<split>/<class>/<n>.png, each image
 * a flat colour whose red value says its class and number (so a test can tell images apart), plus a
 * corrupt file in train/b.
 */
export function pngBytes(width: number, height: number, rgb: [number, number, number]): Buffer {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) {
    png.data[4 * i] = rgb[0];
    png.data[4 * i + 1] = rgb[1];
    png.data[4 * i + 2] = rgb[2];
    png.data[4 * i + 3] = 255;
  }
  return PNG.sync.write(png);
}

export interface FolderFixture {
  root: string;
  /** The corrupt file (in train/b). */
  corrupt: string;
}

/** `perClass` train and 2 test images of classes a, b, c, side x side pixels; red = 10 * class + n. */
export function writeImageFolder(perClass = 6, side = 4): FolderFixture {
  const root = mkdtempSync(join(tmpdir(), 'image-data-'));
  ['a', 'b', 'c'].forEach((cls, c) => {
    for (const [split, count] of [['train', perClass], ['test', 2]] as const) {
      const dir = join(root, split, cls);
      mkdirSync(dir, { recursive: true });
      for (let n = 0; n < count; n++) writeFileSync(join(dir, `${n}.png`), pngBytes(side, side, [10 * c + n + (split === 'test' ? 100 : 0), 50, 200]));
    }
  });
  const corrupt = join(root, 'train', 'b', 'broken.png');
  writeFileSync(corrupt, pngBytes(side, side, [0, 0, 0]).subarray(0, 40));
  return { root, corrupt };
}
