import '@tensorflow/tfjs-backend-cpu';
import type * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapAddress, wasmModule } from './wasm-views.ts';
import { backendHasKernels, registerMissingKernels } from './kernel-registry.ts';

/**
 * Group normalisation of a channels-last sequence x [B, T, C] (groups of C / G consecutive channels,
 * statistics per sample and group over time and the group's channels) as two kernels of its own:
 *   SpeechSslGroupNorm      {x, weight, bias}, {groups, eps}      ->  [y, mean, rstd]   (mean, rstd: [B, G])
 *   SpeechSslGroupNormGrad  {dy, x, mean, rstd, weight}, {groups} ->  [dx, dweight, dbias]
 * One JS loop over the tensor per pass (float64 sums), on the wasm heap or the cpu backend's arrays.
 * The composite form (moments, then broadcast subtract, multiply and affine over a [B, T, G, C/G] view)
 * costs a dozen kernels with broadcasting on tiny inner axes; in the CIFAR ResNet those took about half
 * of a training step's kernel time. nn/group-norm.ts uses these where the backend has them.
 *
 *   y = (x - mean) * rstd * w[c] + b[c],   rstd = 1 / sqrt(var + eps)  (biased variance)
 *   dx = rstd * (g - mean_group(g) - xhat * mean_group(g * xhat)),  g = dy * w[c],  xhat = (x - mean) * rstd
 *   dw[c] = sum_{b,t} dy * xhat,  db[c] = sum_{b,t} dy
 */
export const GROUP_NORM_KERNEL = 'SpeechSslGroupNorm';
export const GROUP_NORM_GRAD_KERNEL = 'SpeechSslGroupNormGrad';

/** A view: an array and the element offset where the tensor starts. */
type Buf = [Float32Array, number];

interface Dims {
  batch: number;
  steps: number;
  channels: number;
  groups: number;
}

function dimsOf(x: TensorInfo, groups: number): Dims {
  if (x.shape.length !== 3) throw new Error(`${GROUP_NORM_KERNEL}: x must be [B, T, C], got [${x.shape}]`);
  const [batch, steps, channels] = x.shape;
  if (!(Number.isInteger(groups) && groups >= 1 && channels % groups === 0)) throw new Error(`${GROUP_NORM_KERNEL}: ${channels} channels not divisible by ${groups} groups`);
  return { batch, steps, channels, groups };
}

function forwardJs(x: Buf, w: Buf, b: Buf, y: Buf, mean: Buf, rstd: Buf, d: Dims, eps: number): void {
  const { batch, steps, channels: C, groups: G } = d;
  const per = C / G;
  const count = steps * per;
  const [xa, xo] = x;
  const [ya, yo] = y;
  const sum = new Float64Array(G);
  const m32 = new Float32Array(G);
  const r32 = new Float32Array(G);
  const centre = new Float32Array(C);
  const scale = new Float32Array(C);
  const shift = new Float32Array(C);
  for (let s = 0; s < batch; s++) {
    const base = s * steps * C;
    sum.fill(0);
    for (let t = 0; t < steps; t++) {
      const o = xo + base + t * C;
      for (let g = 0, c = 0; g < G; g++) {
        let acc = 0;
        for (let j = 0; j < per; j++, c++) acc += xa[o + c];
        sum[g] += acc;
      }
    }
    for (let g = 0; g < G; g++) m32[g] = sum[g] / count;
    sum.fill(0);
    for (let t = 0; t < steps; t++) {
      const o = xo + base + t * C;
      for (let g = 0, c = 0; g < G; g++) {
        const m = m32[g];
        let acc = 0;
        for (let j = 0; j < per; j++, c++) {
          const v = xa[o + c] - m;
          acc += v * v;
        }
        sum[g] += acc;
      }
    }
    for (let g = 0; g < G; g++) {
      r32[g] = 1 / Math.sqrt(sum[g] / count + eps);
      mean[0][mean[1] + s * G + g] = m32[g];
      rstd[0][rstd[1] + s * G + g] = r32[g];
    }
    // y = (x - mean[c]) * scale[c] + b[c] with scale = rstd * w (mean and rstd of the channel's group).
    for (let c = 0; c < C; c++) {
      const g = (c / per) | 0;
      centre[c] = m32[g];
      scale[c] = r32[g] * w[0][w[1] + c];
      shift[c] = b[0][b[1] + c];
    }
    for (let t = 0; t < steps; t++) {
      const o = base + t * C;
      for (let c = 0; c < C; c++) ya[yo + o + c] = (xa[xo + o + c] - centre[c]) * scale[c] + shift[c];
    }
  }
}

function backwardJs(dy: Buf, x: Buf, mean: Buf, rstd: Buf, w: Buf, dx: Buf, dw: Buf, db: Buf, d: Dims): void {
  const { batch, steps, channels: C, groups: G } = d;
  const per = C / G;
  const count = steps * per;
  const [xa, xo] = x;
  const [da, dyo] = dy;
  const [dxa, dxo] = dx;
  const dwAcc = new Float64Array(C);
  const dbAcc = new Float64Array(C);
  // Per sample: sums over time of dy and dy * (x - mean) per channel, from which the group sums follow.
  const sdy = new Float64Array(C);
  const sdyx = new Float64Array(C);
  const coefX = new Float32Array(C);
  const coefDy = new Float32Array(C);
  const centre = new Float32Array(C);
  const coefC = new Float32Array(C);
  for (let s = 0; s < batch; s++) {
    const base = s * steps * C;
    sdy.fill(0);
    sdyx.fill(0);
    for (let c = 0; c < C; c++) centre[c] = mean[0][mean[1] + s * G + ((c / per) | 0)];
    for (let t = 0; t < steps; t++) {
      const o = base + t * C;
      for (let c = 0; c < C; c++) {
        const g = da[dyo + o + c];
        sdy[c] += g;
        sdyx[c] += g * (xa[xo + o + c] - centre[c]);
      }
    }
    for (let g = 0; g < G; g++) {
      const rs = rstd[0][rstd[1] + s * G + g];
      let a = 0; // sum of dy * w over the group
      let e = 0; // sum of dy * w * xhat over the group
      for (let c = g * per; c < (g + 1) * per; c++) {
        const wc = w[0][w[1] + c];
        const dxh = sdyx[c] * rs; // sum_t dy * xhat for channel c
        a += sdy[c] * wc;
        e += dxh * wc;
        dwAcc[c] += dxh;
        dbAcc[c] += sdy[c];
      }
      a /= count;
      e /= count;
      // dx = rs * (dy * w - a - (x - m) * rs * e) = dy * (rs * w) + (x - m) * (-rs^2 e) - rs * a  (centre[c] = m)
      for (let c = g * per; c < (g + 1) * per; c++) {
        coefDy[c] = rs * w[0][w[1] + c];
        coefX[c] = -rs * rs * e;
        coefC[c] = -rs * a;
      }
    }
    for (let t = 0; t < steps; t++) {
      const o = base + t * C;
      for (let c = 0; c < C; c++) dxa[dxo + o + c] = da[dyo + o + c] * coefDy[c] + (xa[xo + o + c] - centre[c]) * coefX[c] + coefC[c];
    }
  }
  for (let c = 0; c < C; c++) {
    dw[0][dw[1] + c] = dwAcc[c];
    db[0][db[1] + c] = dbAcc[c];
  }
}

interface GroupAttrs {
  groups: number;
  eps: number;
}

const wasmForward: KernelFunc = ({ inputs, backend, attrs }) => {
  const be = backend as BackendWasm;
  const { x, weight, bias } = inputs as { x: TensorInfo; weight: TensorInfo; bias: TensorInfo };
  const { groups, eps } = attrs as unknown as GroupAttrs;
  const d = dimsOf(x, groups);
  const y = be.makeOutput(x.shape, 'float32');
  const mean = be.makeOutput([d.batch, groups], 'float32');
  const rstd = be.makeOutput([d.batch, groups], 'float32');
  const heap = wasmModule(be).HEAPF32;
  const v = (t: TensorInfo): Buf => [heap, heapAddress(be, t) / 4];
  forwardJs(v(x), v(weight), v(bias), v(y), v(mean), v(rstd), d, eps);
  return [y, mean, rstd];
};

const wasmBackward: KernelFunc = ({ inputs, backend, attrs }) => {
  const be = backend as BackendWasm;
  const { dy, x, mean, rstd, weight } = inputs as Record<'dy' | 'x' | 'mean' | 'rstd' | 'weight', TensorInfo>;
  const d = dimsOf(x, (attrs as unknown as GroupAttrs).groups);
  const dx = be.makeOutput(x.shape, 'float32');
  const dw = be.makeOutput([d.channels], 'float32');
  const db = be.makeOutput([d.channels], 'float32');
  const heap = wasmModule(be).HEAPF32;
  const v = (t: TensorInfo): Buf => [heap, heapAddress(be, t) / 4];
  backwardJs(v(dy), v(x), v(mean), v(rstd), v(weight), v(dx), v(dw), v(db), d);
  return [dx, dw, db];
};

interface CpuBackendLike {
  data: { get(id: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): TensorInfo;
}

const cpuForward: KernelFunc = ({ inputs, backend, attrs }) => {
  const be = backend as unknown as CpuBackendLike;
  const { x, weight, bias } = inputs as { x: TensorInfo; weight: TensorInfo; bias: TensorInfo };
  const { groups, eps } = attrs as unknown as GroupAttrs;
  const d = dimsOf(x, groups);
  const values = (t: TensorInfo): Buf => [be.data.get(t.dataId).values, 0];
  const y = new Float32Array(d.batch * d.steps * d.channels);
  const mean = new Float32Array(d.batch * groups);
  const rstd = new Float32Array(d.batch * groups);
  forwardJs(values(x), values(weight), values(bias), [y, 0], [mean, 0], [rstd, 0], d, eps);
  return [be.makeTensorInfo(x.shape, 'float32', y), be.makeTensorInfo([d.batch, groups], 'float32', mean), be.makeTensorInfo([d.batch, groups], 'float32', rstd)];
};

const cpuBackward: KernelFunc = ({ inputs, backend, attrs }) => {
  const be = backend as unknown as CpuBackendLike;
  const { dy, x, mean, rstd, weight } = inputs as Record<'dy' | 'x' | 'mean' | 'rstd' | 'weight', TensorInfo>;
  const d = dimsOf(x, (attrs as unknown as GroupAttrs).groups);
  const values = (t: TensorInfo): Buf => [be.data.get(t.dataId).values, 0];
  const dx = new Float32Array(d.batch * d.steps * d.channels);
  const dw = new Float32Array(d.channels);
  const db = new Float32Array(d.channels);
  backwardJs(values(dy), values(x), values(mean), values(rstd), values(weight), [dx, 0], [dw, 0], [db, 0], d);
  return [be.makeTensorInfo(x.shape, 'float32', dx), be.makeTensorInfo([d.channels], 'float32', dw), be.makeTensorInfo([d.channels], 'float32', db)];
};

/** Registers the group-norm kernels for wasm and cpu (idempotent). */
export function installGroupNormKernels(): void {
  registerMissingKernels([
    { kernelName: GROUP_NORM_KERNEL, backendName: 'wasm', kernelFunc: wasmForward },
    { kernelName: GROUP_NORM_GRAD_KERNEL, backendName: 'wasm', kernelFunc: wasmBackward },
    { kernelName: GROUP_NORM_KERNEL, backendName: 'cpu', kernelFunc: cpuForward },
    { kernelName: GROUP_NORM_GRAD_KERNEL, backendName: 'cpu', kernelFunc: cpuBackward },
  ]);
}

/** Whether the backend running now has the group-norm kernels. */
export function hasGroupNormKernels(): boolean {
  return backendHasKernels(GROUP_NORM_KERNEL, GROUP_NORM_GRAD_KERNEL);
}
