/**
 * The image-folder layout: `root/<class>/<file>.{jpg,jpeg,png}` is one split, and `root/<split>/<class>/...`
 * holds several (train/ and test/ in ../shared/data/cifar10). Classes are folder names, sorted, and shared by
 * all splits so a label means the same class everywhere. Files load in sorted order; one that cannot be
 * decoded is skipped and reported in `failures` with its path and the problem.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { InputError, errorMessage } from '../util/errors.ts';
import { type DecodeOptions, decodeImage } from './decode.ts';
import { ImageDataset, type LoadFailure } from './dataset.ts';
import type { Image } from './image.ts';
import { resizeImage } from './transforms/resize.ts';

export interface ImageFolderOptions {
  channels: DecodeOptions['channels'];
  /** Resize every image to this size on load (bilinear, antialiased); null keeps each file's own size. */
  size: { height: number; width: number } | null;
  /** File extensions taken as images (lower case, with the dot). */
  extensions: string[];
  /** Class names to use (and their order); null takes the sorted class folders. */
  classNames: string[] | null;
}
export const defaultImageFolderOptions: ImageFolderOptions = {
  channels: 3,
  size: null,
  extensions: ['.jpg', '.jpeg', '.png'],
  classNames: null,
};

export interface ImageFolderResult {
  dataset: ImageDataset;
  failures: LoadFailure[];
}

export interface ImageFolderSplitsResult {
  splits: Record<string, ImageDataset>;
  classNames: string[];
  failures: LoadFailure[];
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => !n.startsWith('.')).sort();
  } catch (e) {
    throw new InputError(`cannot list folder: ${errorMessage(e)}`, { file: dir });
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The class folders under one split folder. */
export function classFolders(dir: string): string[] {
  return listDir(dir).filter((n) => isDir(join(dir, n)));
}

/** Loads one split: `dir/<class>/<image files>`. */
export function loadImageFolder(dir: string, options: Partial<ImageFolderOptions> = {}): ImageFolderResult {
  const opts = { ...defaultImageFolderOptions, ...options };
  const found = classFolders(dir);
  const classNames = opts.classNames ?? found;
  if (classNames.length === 0) throw new InputError('no class folders (expected <class>/<image> inside)', { file: dir });
  const classIndex = new Map(classNames.map((n, i) => [n, i]));
  for (const name of found) {
    if (!classIndex.has(name)) throw new InputError(`class folder "${name}" is not one of the classes [${classNames.join(', ')}]`, { file: dir });
  }
  const images: Image[] = [];
  const labels: number[] = [];
  const sources: string[] = [];
  const failures: LoadFailure[] = [];
  const exts = new Set(opts.extensions.map((e) => e.toLowerCase()));
  for (const name of found) {
    const classDir = join(dir, name);
    for (const file of listDir(classDir)) {
      if (!exts.has(extname(file).toLowerCase())) continue;
      const path = join(classDir, file);
      try {
        let img = decodeImage(readFileSync(path), path, { channels: opts.channels });
        if (opts.size) img = resizeImage(img, opts.size.height, opts.size.width);
        images.push(img);
        labels.push(classIndex.get(name)!);
        sources.push(path);
      } catch (e) {
        const problem = e instanceof InputError && e.file === path ? e.message.slice(path.length + 2) : errorMessage(e);
        failures.push({ file: path, problem });
      }
    }
  }
  return { dataset: new ImageDataset(images, Int32Array.from(labels), classNames, sources), failures };
}

/**
 * Loads `root/<split>/<class>/...` for each named split (all sub-folders when `splits` is omitted), with
 * one class list, the sorted union of every split's class folders.
 */
export function loadImageFolderSplits(
  root: string,
  splits?: string[],
  options: Partial<Omit<ImageFolderOptions, 'classNames'>> = {},
): ImageFolderSplitsResult {
  const names = splits ?? classFolders(root);
  if (names.length === 0) throw new InputError('no split folders (expected <split>/<class>/<image>)', { file: root });
  for (const s of names) {
    if (!isDir(join(root, s))) throw new InputError(`split folder "${s}" is missing`, { file: root });
  }
  const classNames = [...new Set(names.flatMap((s) => classFolders(join(root, s))))].sort();
  const result: ImageFolderSplitsResult = { splits: {}, classNames, failures: [] };
  for (const s of names) {
    const { dataset, failures } = loadImageFolder(join(root, s), { ...options, classNames });
    result.splits[s] = dataset;
    result.failures.push(...failures);
  }
  return result;
}
