/**
 * The image type every loader produces and every transform consumes: float32 pixels in [0, 1], laid out
 * HWC (row-major rows, then columns, then channels), with its shape beside it. Transforms never mutate
 * an image they are given; they return a new one (or the same object when they change nothing).
 */
export interface Image {
  data: Float32Array;
  height: number;
  width: number;
  channels: number;
}

/** A zero-filled image of the given shape. */
export function createImage(height: number, width: number, channels: number): Image {
  if (!(Number.isInteger(height) && height > 0 && Number.isInteger(width) && width > 0)) {
    throw new RangeError(`image size must be positive integers, got ${height}x${width}`);
  }
  if (!(Number.isInteger(channels) && channels > 0)) throw new RangeError(`channels must be a positive integer, got ${channels}`);
  return { data: new Float32Array(height * width * channels), height, width, channels };
}

/** Wraps existing HWC data, checking that its length matches the shape. */
export function imageFromData(data: Float32Array, height: number, width: number, channels: number): Image {
  if (data.length !== height * width * channels) {
    throw new RangeError(`image data has ${data.length} values, expected ${height}x${width}x${channels} = ${height * width * channels}`);
  }
  return { data, height, width, channels };
}

/**
 * Interleaved 8-bit pixels (RGB, RGBA, grey...) to a float image in [0, 1]. `srcChannels` is the stride of
 * the input; the first `channels` of each pixel are kept (so RGBA -> RGB drops alpha).
 */
export function imageFromBytes(bytes: ArrayLike<number>, height: number, width: number, srcChannels: number, channels = srcChannels): Image {
  if (channels > srcChannels) throw new RangeError(`cannot take ${channels} channels from ${srcChannels}`);
  if (bytes.length < height * width * srcChannels) {
    throw new RangeError(`pixel buffer has ${bytes.length} bytes, expected ${height * width * srcChannels}`);
  }
  const img = createImage(height, width, channels);
  const out = img.data;
  const scale = 1 / 255;
  const n = height * width;
  if (channels === srcChannels) {
    for (let i = 0; i < n * channels; i++) out[i] = bytes[i] * scale;
  } else {
    for (let p = 0, s = 0, o = 0; p < n; p++, s += srcChannels) {
      for (let c = 0; c < channels; c++) out[o++] = bytes[s + c] * scale;
    }
  }
  return img;
}

export function cloneImage(img: Image): Image {
  return { data: img.data.slice(), height: img.height, width: img.width, channels: img.channels };
}

/** Same shape. */
export function sameShape(a: Image, b: Image): boolean {
  return a.height === b.height && a.width === b.width && a.channels === b.channels;
}

/** The value at (y, x, c). */
export function pixel(img: Image, y: number, x: number, c: number): number {
  return img.data[(y * img.width + x) * img.channels + c];
}

/** Copies the rectangle [top, top+height) x [left, left+width) out of an image. */
export function cropImage(img: Image, top: number, left: number, height: number, width: number): Image {
  if (top < 0 || left < 0 || height <= 0 || width <= 0 || top + height > img.height || left + width > img.width) {
    throw new RangeError(`crop ${height}x${width} at (${top}, ${left}) does not fit a ${img.height}x${img.width} image`);
  }
  const c = img.channels;
  const out = createImage(height, width, c);
  const rowLen = width * c;
  for (let y = 0; y < height; y++) {
    const src = ((top + y) * img.width + left) * c;
    out.data.set(img.data.subarray(src, src + rowLen), y * rowLen);
  }
  return out;
}

/** "32x32x3", for messages. */
export function shapeString(img: Image): string {
  return `${img.height}x${img.width}x${img.channels}`;
}
