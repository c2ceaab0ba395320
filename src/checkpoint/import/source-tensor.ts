import type { NamedArray } from '../safetensors.ts';

/**
 * A tensor as a checkpoint file holds it, read on demand: the torch reader's TorchTensor and a
 * safetensors entry both fit. Shapes are in the source's (PyTorch's) orientation.
 */
export interface SourceTensor {
  readonly shape: number[];
  /** The values in C order, as float32 (float16 / bfloat16 / float64 converted). */
  toFloat32(): Float32Array;
}

/** A checkpoint's tensors by their names in the file. */
export type SourceState = Map<string, SourceTensor>;

/** A tensor already in memory. */
export function arrayTensor(a: NamedArray): SourceTensor {
  return { shape: a.shape, toFloat32: () => a.data };
}

export function stateFromArrays(arrays: Map<string, NamedArray>): SourceState {
  return new Map([...arrays].map(([k, a]) => [k, arrayTensor(a)]));
}

/**
 * How a parameter of the audio transformer is laid out here against PyTorch:
 *   linear   Linear weight: ours [in, out], PyTorch [out, in]
 *   conv     Conv1d weight / weight_v: ours [K, Cin/groups, Cout], PyTorch [Cout, Cin/groups, K]
 *   gain     weight_g of weight_norm(dim=2): ours [K, 1, 1], PyTorch [1, 1, K]
 *   same     vectors (biases, norms, mask_emb)
 */
export type Orientation = 'linear' | 'conv' | 'gain' | 'same';

/** The orientation of one of the audio transformer's parameters, from its name and rank. */
export function orientationOf(nativeName: string, rank: number): Orientation {
  if (nativeName.endsWith('.weight_g')) return 'gain';
  if (rank === 3 && (nativeName.endsWith('.weight') || nativeName.endsWith('.weight_v'))) return 'conv';
  if (rank === 2 && nativeName.endsWith('.weight')) return 'linear';
  if (rank <= 1) return 'same';
  throw new Error(`no PyTorch layout known for parameter "${nativeName}" of rank ${rank}`);
}

/** Our shape of a tensor given in PyTorch's shape. */
export function nativeShape(torchShape: number[], o: Orientation): number[] {
  switch (o) {
    case 'linear':
      return torchShape.length === 2 ? [torchShape[1], torchShape[0]] : torchShape;
    case 'conv':
      return torchShape.length === 3 ? [torchShape[2], torchShape[1], torchShape[0]] : torchShape;
    case 'gain':
      return torchShape.length === 3 ? [torchShape[2], torchShape[1], torchShape[0]] : torchShape;
    case 'same':
      return torchShape;
  }
}

/** Reverses the axes of a C-order 2-D or 3-D array (a transpose; for 3-D, [a, b, c] -> [c, b, a]). */
function reverseAxes(data: Float32Array, shape: number[]): Float32Array {
  const out = new Float32Array(data.length);
  if (shape.length === 2) {
    const [r, c] = shape;
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = data[i * c + j];
    return out;
  }
  const [a, b, c] = shape;
  for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) for (let k = 0; k < c; k++) out[(k * b + j) * a + i] = data[(i * b + j) * c + k];
  return out;
}

/** PyTorch-oriented values -> ours (a fresh or the same array; callers must not mutate `data`). */
export function toNative(data: Float32Array, torchShape: number[], o: Orientation): Float32Array {
  return o === 'linear' || o === 'conv' ? reverseAxes(data, torchShape) : data;
}

/** Our values -> PyTorch's orientation, with PyTorch's shape. */
export function toTorch(data: Float32Array, nativeShapeOf: number[], o: Orientation): NamedArray {
  if (o === 'same') return { shape: [...nativeShapeOf], data };
  const shape = [...nativeShapeOf].reverse();
  return { shape, data: o === 'gain' ? data : reverseAxes(data, nativeShapeOf) };
}
