import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.ts';
import { Conv1d } from '../../src/nn/conv1d.ts';
import { Conv2d } from '../../src/nn/conv2d.ts';
import { ConvPositionalEmbedding } from '../../src/nn/pos-conv.ts';
import { gelu } from '../../src/nn/gelu.ts';
import { Rng } from '../../src/util/rng.ts';
import { gradCheck, randomVariable } from './gradcheck.ts';

/** Direct evaluation of a grouped, strided, padded 1-D convolution from its definition (float64). */
function refConv1d(x: Float32Array, [B, T, C]: number[], w: Float32Array, [K, CG, CO]: number[], bias: Float32Array | null, stride: number, padL: number, outT: number): Float64Array {
  const groups = C / CG;
  const coG = CO / groups;
  const out = new Float64Array(B * outT * CO);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < outT; t++)
      for (let co = 0; co < CO; co++) {
        const g = Math.floor(co / coG);
        let s = bias ? bias[co] : 0;
        for (let k = 0; k < K; k++) {
          const ti = t * stride + k - padL;
          if (ti < 0 || ti >= T) continue;
          for (let ci = 0; ci < CG; ci++) s += x[(b * T + ti) * C + g * CG + ci] * w[(k * CG + ci) * CO + co];
        }
        out[(b * outT + t) * CO + co] = s;
      }
  return out;
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`Conv1d (${backend}): strided, padded and grouped convolutions equal the definition; gradients`, async () => {
    await initBackend(backend);
    const rng = new Rng(11);
    const cases = [
      { cin: 3, cout: 4, k: 5, stride: 2, padding: 0, groups: 1 },
      { cin: 4, cout: 6, k: 4, stride: 1, padding: 2, groups: 2 },
      { cin: 4, cout: 4, k: 3, stride: 3, padding: 1, groups: 4 },
    ];
    for (const c of cases) {
      const conv = new Conv1d(c.cin, c.cout, c.k, { stride: c.stride, padding: c.padding, groups: c.groups, rng });
      assert.deepEqual(conv.weight!.shape, [c.k, c.cin / c.groups, c.cout]);
      const shape = [2, 11, c.cin];
      const x = randomVariable(rng, shape);
      const y = conv.forward(x as tf.Tensor as tf.Tensor3D);
      const outT = conv.outputLength(11);
      assert.deepEqual(y.shape, [2, outT, c.cout]);
      const ref = refConv1d(x.dataSync() as Float32Array, shape, conv.weight!.dataSync() as Float32Array, [c.k, c.cin / c.groups, c.cout], conv.bias!.dataSync() as Float32Array, c.stride, c.padding, outT);
      close(y.dataSync(), ref, 1e-5, `conv1d ${JSON.stringify(c)}`);
      gradCheck(`Conv1d ${backend} ${JSON.stringify(c)}`, new Map([['x', x], ...conv.namedParameters()]), () => conv.forward(x as tf.Tensor as tf.Tensor3D));
      tf.dispose([x, y]);
      conv.dispose();
    }
  });

  test(`Conv1d (${backend}): weight norm g * v / ||v|| per kernel tap (torch weight_norm dim=2); gradients to g and v`, async () => {
    await initBackend(backend);
    const rng = new Rng(12);
    const conv = new Conv1d(2, 2, 3, { weightNorm: true, padding: 1, rng });
    assert.deepEqual([...conv.namedParameters().keys()], ['weight_g', 'weight_v', 'bias']);
    assert.deepEqual(conv.weightG!.shape, [3, 1, 1]);
    // At initialisation g = ||v|| per tap, so the effective kernel is v itself.
    close(conv.kernel().dataSync(), conv.weightV!.dataSync(), 1e-6, 'initial kernel');
    conv.weightG!.assign(tf.tensor3d([[[2]], [[0.5]], [[1]]]));
    const v = conv.weightV!.arraySync() as number[][][];
    const k = conv.kernel().arraySync() as number[][][];
    for (let t = 0; t < 3; t++) {
      const n = Math.hypot(...v[t].flat());
      for (let i = 0; i < 2; i++) for (let o = 0; o < 2; o++) assert.ok(Math.abs(k[t][i][o] - [2, 0.5, 1][t] * v[t][i][o] / n) < 1e-5);
    }
    const x = randomVariable(rng, [2, 6, 2]);
    gradCheck(`Conv1d weight-norm ${backend}`, new Map([['x', x], ...conv.namedParameters()]), () => conv.forward(x as tf.Tensor as tf.Tensor3D));
    x.dispose();
    conv.dispose();
  });

  test(`Conv2d (${backend}): NHWC convolution with stride and same padding; gradients`, async () => {
    await initBackend(backend);
    const rng = new Rng(13);
    const conv = new Conv2d(2, 3, 3, { stride: 2, padding: 1, rng });
    assert.deepEqual(conv.weight.shape, [3, 3, 2, 3]);
    const x = randomVariable(rng, [2, 7, 6, 2]);
    const y = conv.forward(x as tf.Tensor as tf.Tensor4D);
    assert.deepEqual(y.shape, [2, 4, 3, 3]);
    // One output element by hand: y[1, 2, 1, 0] = b0 + sum_{kh,kw,ci} x[1, 2*2+kh-1, 2*1+kw-1, ci] w[kh,kw,ci,0].
    const xv = x.arraySync() as number[][][][];
    const wv = conv.weight.arraySync() as number[][][][];
    let s = conv.bias!.dataSync()[0];
    for (let kh = 0; kh < 3; kh++) for (let kw = 0; kw < 3; kw++) for (let ci = 0; ci < 2; ci++) s += xv[1][3 + kh][1 + kw][ci] * wv[kh][kw][ci][0];
    assert.ok(Math.abs((y.arraySync() as number[][][][])[1][2][1][0] - s) < 1e-5);
    gradCheck(`Conv2d ${backend}`, new Map([['x', x], ...conv.namedParameters()]), () => conv.forward(x as tf.Tensor as tf.Tensor4D));
    tf.dispose([x, y]);
    conv.dispose();
  });

  test(`ConvPositionalEmbedding (${backend}): even kernel, groups, same length out, fairseq names; gradients`, async () => {
    await initBackend(backend);
    const rng = new Rng(14);
    const pos = new ConvPositionalEmbedding(8, { kernelSize: 4, groups: 2, rng });
    assert.deepEqual([...pos.namedParameters().keys()], ['0.weight_g', '0.weight_v', '0.bias']);
    const x = randomVariable(rng, [2, 9, 8]);
    const y = pos.forward(x as tf.Tensor as tf.Tensor3D);
    assert.deepEqual(y.shape, [2, 9, 8]);
    // Padding 2 each side gives 10 frames; the last is dropped (SamePad), then GELU.
    const full = refConv1d(x.dataSync() as Float32Array, [2, 9, 8], pos.conv.kernel().dataSync() as Float32Array, [4, 4, 8], pos.conv.bias!.dataSync() as Float32Array, 1, 2, 10);
    const kept: number[] = [];
    for (let b = 0; b < 2; b++) for (let t = 0; t < 9; t++) for (let c = 0; c < 8; c++) kept.push(full[(b * 10 + t) * 8 + c]);
    const expected = gelu(tf.tensor(kept)).dataSync();
    close(y.dataSync(), expected, 1e-5, 'pos conv');
    pos.conv.bias!.assign(tf.tensor(rng.normalArray(8, 0.5)));
    gradCheck(`pos conv ${backend}`, new Map([['x', x], ...pos.namedParameters()]), () => pos.forward(x as tf.Tensor as tf.Tensor3D));
    tf.dispose([x, y]);
    pos.dispose();
  });
}
