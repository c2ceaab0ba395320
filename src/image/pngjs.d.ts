// Type declarations for the parts of pngjs (CommonJS, ships no types) that the image loaders use.
declare module 'pngjs' {
  interface PngImage {
    width: number;
    height: number;
    /** RGBA, 8 bits a channel unless skipRescale was asked for. */
    data: Buffer;
    depth: number;
    colorType: number;
    alpha: boolean;
  }
  interface PngReadOptions {
    skipRescale?: boolean;
    checkCRC?: boolean;
  }
  interface PngWriteOptions {
    colorType?: number;
    inputColorType?: number;
    inputHasAlpha?: boolean;
    bitDepth?: 8 | 16;
  }
  const pngjs: {
    PNG: {
      sync: {
        read(buffer: Buffer | Uint8Array, options?: PngReadOptions): PngImage;
        write(png: { width: number; height: number; data: Buffer | Uint8Array }, options?: PngWriteOptions): Buffer;
      };
    };
  };
  export default pngjs;
}
