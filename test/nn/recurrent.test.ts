import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.ts';
import { LSTM } from '../../src/nn/lstm.ts';
import { GRU } from '../../src/nn/gru.ts';
import type { Recurrent } from '../../src/nn/recurrent.ts';
import { Rng } from '../../src/util/rng.ts';
import { gradCheck, randomVariable } from './gradcheck.ts';

const sig = (v: number) => 1 / (1 + Math.exp(-v));

/** One sequence through layer 0 of a GRU or LSTM, float64, PyTorch's equations. */
function refRnn(kind: 'lstm' | 'gru', x: number[][], p: Map<string, tf.Variable>, hs: number): number[][] {
  const wih = p.get('weight_ih_l0')!.arraySync() as number[][];
  const whh = p.get('weight_hh_l0')!.arraySync() as number[][];
  const bih = p.get('bias_ih_l0')!.arraySync() as unknown as number[];
  const bhh = p.get('bias_hh_l0')!.arraySync() as unknown as number[];
  const gates = kind === 'lstm' ? 4 : 3;
  let h = new Array(hs).fill(0);
  let c = new Array(hs).fill(0);
  const out: number[][] = [];
  for (const xt of x) {
    const gi = Array.from({ length: gates * hs }, (_, j) => bih[j] + xt.reduce((s, v, k) => s + v * wih[k][j], 0));
    const gh = Array.from({ length: gates * hs }, (_, j) => bhh[j] + h.reduce((s, v, k) => s + v * whh[k][j], 0));
    if (kind === 'lstm') {
      const g = gi.map((v, j) => v + gh[j]);
      const i = g.slice(0, hs).map(sig);
      const f = g.slice(hs, 2 * hs).map(sig);
      const gg = g.slice(2 * hs, 3 * hs).map(Math.tanh);
      const o = g.slice(3 * hs).map(sig);
      c = c.map((cv, j) => f[j] * cv + i[j] * gg[j]);
      h = c.map((cv, j) => o[j] * Math.tanh(cv));
    } else {
      const r = gi.slice(0, hs).map((v, j) => sig(v + gh[j]));
      const z = gi.slice(hs, 2 * hs).map((v, j) => sig(v + gh[hs + j]));
      const n = gi.slice(2 * hs).map((v, j) => Math.tanh(v + r[j] * gh[2 * hs + j]));
      h = h.map((hv, j) => (1 - z[j]) * n[j] + z[j] * hv);
    }
    out.push(h);
  }
  return out;
}

for (const backend of ['cpu', 'wasm'] as const) {
  for (const kind of ['lstm', 'gru'] as const) {
    test(`${kind.toUpperCase()} (${backend}): PyTorch equations and names, padding carries the state, two layers; gradients`, async () => {
      await initBackend(backend);
      const rng = new Rng(31);
      const make = (layers: number): Recurrent => (kind === 'lstm' ? new LSTM(3, 4, { numLayers: layers, rng }) : new GRU(3, 4, { numLayers: layers, rng }));
      const rnn = make(1);
      const g = kind === 'lstm' ? 4 : 3;
      assert.deepEqual([...rnn.namedParameters()].map(([n, v]) => `${n}:${v.shape}`), [`weight_ih_l0:3,${4 * g}`, `weight_hh_l0:4,${4 * g}`, `bias_ih_l0:${4 * g}`, `bias_hh_l0:${4 * g}`]);
      const x = randomVariable(rng, [2, 5, 3]);
      const { output } = rnn.forward(x as tf.Tensor as tf.Tensor3D);
      const xs = x.arraySync() as number[][][];
      const ys = output.arraySync() as number[][][];
      for (let b = 0; b < 2; b++) {
        const ref = refRnn(kind, xs[b], rnn.namedParameters(), 4);
        for (let t = 0; t < 5; t++) for (let j = 0; j < 4; j++) assert.ok(Math.abs(ys[b][t][j] - ref[t][j]) < 1e-5, `b${b} t${t} j${j}`);
      }
      // Padded frames (sequence 1 from t=3) repeat the last real state.
      const mask = tf.tensor2d([[0, 0, 0, 0, 0], [0, 0, 0, 1, 1]]);
      const masked = rnn.forward(x as tf.Tensor as tf.Tensor3D, mask).output.arraySync() as number[][][];
      for (let j = 0; j < 4; j++) {
        assert.ok(Math.abs(masked[1][4][j] - ys[1][2][j]) < 1e-6);
        assert.ok(Math.abs(masked[0][4][j] - ys[0][4][j]) < 1e-6);
      }
      gradCheck(`${kind} ${backend}`, new Map([['x', x], ...rnn.namedParameters()]), () => rnn.forward(x as tf.Tensor as tf.Tensor3D, mask).output, { directions: 2, elements: 2 });
      const deep = make(2);
      const res = deep.forward(x as tf.Tensor as tf.Tensor3D);
      assert.equal(res.layers.length, 2);
      assert.deepEqual(res.output.shape, [2, 5, 4]);
      assert.ok(deep.namedParameters().has('weight_ih_l1'));
      assert.deepEqual(deep.namedParameters().get('weight_ih_l1')!.shape, [4, 4 * g]);
      tf.dispose([x, output, mask, ...res.layers]);
      rnn.dispose();
      deep.dispose();
    });
  }
}
