/**
 * The shapes features travel in: a row-major float32 matrix [frames, dims], a stream that turns waveform
 * chunks into one, and the growable buffer streams collect their rows in.
 */
export interface FeatureMatrix {
  /** Row-major [frames, dims]. */
  data: Float32Array;
  frames: number;
  dims: number;
}

/** Waveform chunks in (at the featurizer's rate), features out at the end. */
export interface FeatureStream {
  push(chunk: Float32Array): void;
  finish(): FeatureMatrix;
}

/** The input was shorter than one analysis frame. */
export class ShortInputError extends Error {
  constructor(readonly samples: number, readonly needed: number, what: string) {
    super(`input has ${samples} samples, shorter than one ${what} (${needed} samples); nothing to compute`);
    this.name = 'ShortInputError';
  }
}

/** Rows of `dims` floats appended one at a time; capacity from a hint, grown by half when exceeded. */
export class RowAccumulator {
  private data: Float32Array;
  private rows = 0;

  constructor(readonly dims: number, expectedRows = 64) {
    this.data = new Float32Array(Math.max(1, expectedRows) * dims);
  }

  /** Offset at which to write the next row (the row is counted as written). */
  nextRow(): number {
    if ((this.rows + 1) * this.dims > this.data.length) {
      const grown = new Float32Array(Math.ceil((this.rows + 1) * 1.5 + 16) * this.dims);
      grown.set(this.data.subarray(0, this.rows * this.dims));
      this.data = grown;
    }
    return this.rows++ * this.dims;
  }

  get buffer(): Float32Array {
    return this.data;
  }

  get count(): number {
    return this.rows;
  }

  /** The rows written, without copying when the capacity was exact. */
  toMatrix(): FeatureMatrix {
    const n = this.rows * this.dims;
    const data = n === this.data.length ? this.data : this.data.slice(0, n);
    return { data, frames: this.rows, dims: this.dims };
  }
}

/** Pushes a whole signal through a stream in one go. */
export function runStream(stream: FeatureStream, waveform: Float32Array): FeatureMatrix {
  stream.push(waveform);
  return stream.finish();
}
