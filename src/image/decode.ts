/**
 * JPEG and PNG bytes to an `Image` (float HWC in [0, 1]), with jpeg-js and pngjs. The format is told by the
 * file's signature, not its name. Anything that cannot be decoded throws an InputError naming the file
 * and the problem, so a corpus-wide loader can report it and go on.
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { InputError, errorMessage } from '../util/errors.ts';
import { type Image, createImage, imageFromBytes } from './image.ts';

export type ImageFormat = 'jpeg' | 'png';

export interface DecodeOptions {
  /** 3: RGB (greyscale files are replicated); 1: luma (ITU-R 601 weights, as torchvision's grayscale). */
  channels: 1 | 3;
}
export const defaultDecodeOptions: DecodeOptions = { channels: 3 };

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The format a file's first bytes announce, or null. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'png';
  return null;
}

/** Decodes JPEG or PNG bytes. `file` is only used in error messages. */
export function decodeImage(bytes: Uint8Array, file: string, options: Partial<DecodeOptions> = {}): Image {
  const opts = { ...defaultDecodeOptions, ...options };
  if (bytes.length === 0) throw new InputError('empty file', { file });
  const format = sniffImageFormat(bytes);
  if (format === null) {
    const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new InputError(`not a JPEG or PNG file (starts with bytes ${head})`, { file });
  }
  let rgb: Image;
  try {
    if (format === 'jpeg') {
      const d = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, tolerantDecoding: true, maxMemoryUsageInMB: 1024 });
      checkSize(d.width, d.height);
      rgb = imageFromBytes(d.data, d.height, d.width, 3);
    } else {
      const d = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      checkSize(d.width, d.height);
      rgb = imageFromBytes(d.data, d.height, d.width, 4, 3);
    }
  } catch (e) {
    throw new InputError(`corrupt or truncated ${format === 'jpeg' ? 'JPEG' : 'PNG'}: ${errorMessage(e)}`, { file });
  }
  return opts.channels === 3 ? rgb : toLuma(rgb);
}

function checkSize(width: number, height: number): void {
  if (!(width > 0 && height > 0)) throw new Error(`image has no pixels (${width}x${height})`);
}

/** RGB -> one channel with the weights torchvision's rgb_to_grayscale uses. */
export function toLuma(img: Image): Image {
  if (img.channels === 1) return img;
  const out = createImage(img.height, img.width, 1);
  const s = img.data;
  for (let p = 0, i = 0; p < out.data.length; p++, i += img.channels) {
    out.data[p] = 0.2989 * s[i] + 0.587 * s[i + 1] + 0.114 * s[i + 2];
  }
  return out;
}
