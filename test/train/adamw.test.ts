import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.ts';
import { AdamW, defaultNoDecay, lrScaleByPrefix } from '../../src/train/adamw.ts';
import { setAdamWKernelEnabled } from '../../src/engine/adamw-kernel.ts';
import { Rng } from '../../src/util/rng.ts';

/**
 * torch.optim.AdamW's algorithm (as in its documentation and `_single_tensor_adamw`), in float64,
 * written out in PyTorch's own order of operations, for one flat parameter.
 */
function torchAdamWStep(
  p: number[], g: number[], st: { m: number[]; v: number[]; t: number },
  o: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number },
): void {
  st.t += 1;
  const bc1 = 1 - o.beta1 ** st.t;
  const bc2 = 1 - o.beta2 ** st.t;
  for (let i = 0; i < p.length; i++) {
    p[i] *= 1 - o.lr * o.weightDecay;
    st.m[i] = st.m[i] + (g[i] - st.m[i]) * (1 - o.beta1); // exp_avg.lerp_(grad, 1 - beta1)
    st.v[i] = st.v[i] * o.beta2 + (1 - o.beta2) * g[i] * g[i];
    const denom = Math.sqrt(st.v[i]) / Math.sqrt(bc2) + o.eps;
    p[i] -= (o.lr / bc1) * (st.m[i] / denom);
  }
}

function closeTo(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i++) {
    const tol = rtol * Math.max(1, Math.abs(expected[i]));
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`adamw (${backend}): three scalar steps match values derived by hand from the PyTorch update`, async () => {
    await initBackend(backend);
    // lr 0.1, betas (0.9, 0.999), eps 1e-8, weight decay 0.1, p0 = 1, gradients 0.5, -1, 0.25.
    // Step 1: p = 1*(1 - 0.01) = 0.99; m_hat = g, v_hat = g^2, so p -= 0.1 * 0.5/(0.5 + 1e-8) -> 0.890000002.
    // Step 2: m = -0.055, v = 0.00124975, bc1 = 0.19, bc2 = 0.001999 -> p = 0.91771035422...
    // Step 3: m = -0.0245, v = 0.00131100025, bc1 = 0.271, bc2 = 0.002997001 -> p = 0.92220231677...
    const params = new Map([['w', tf.variable(tf.tensor1d([1]))]]);
    const opt = new AdamW({ lr: 0.1, weightDecay: 0.1 });
    const expected = [0.890000002, 0.9177103542205653, 0.9222023167767704];
    for (const [i, g] of [0.5, -1, 0.25].entries()) {
      const grad = tf.tensor1d([g]);
      opt.step(params, new Map([['w', grad]]));
      grad.dispose();
      closeTo(params.get('w')!.dataSync(), [expected[i]], 1e-6, `step ${i + 1}`);
    }
    assert.equal(opt.stepOf('w'), 3);
    opt.dispose();
    params.get('w')!.dispose();
  });

  test(`adamw (${backend}): matches the float64 PyTorch algorithm over 20 steps with a changing lr, a no-decay bias and a skipped gradient`, async () => {
    await initBackend(backend);
    const rng = new Rng(3);
    const shapes: Record<string, number[]> = { 'lin.weight': [3, 4], 'lin.bias': [4], 'head.weight': [4, 2] };
    const hyper = { lr: 0.01, beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: 0.05 };
    const opt = new AdamW({ ...hyper, noDecay: (n) => n.endsWith('.bias') });
    const params = new Map<string, tf.Variable>();
    const ref = new Map<string, { p: number[]; st: { m: number[]; v: number[]; t: number } }>();
    for (const [name, shape] of Object.entries(shapes)) {
      const n = shape.reduce((a, b) => a * b, 1);
      const init = Array.from(rng.normalArray(n));
      params.set(name, tf.variable(tf.tensor(init, shape)));
      ref.set(name, { p: Array.from(Float32Array.from(init)), st: { m: new Array(n).fill(0), v: new Array(n).fill(0), t: 0 } });
    }
    for (let step = 0; step < 20; step++) {
      opt.lr = 0.01 * (1 + Math.cos(step / 3)) + 1e-4;
      const grads = new Map<string, tf.Tensor>();
      for (const [name, shape] of Object.entries(shapes)) {
        if (name === 'head.weight' && step % 4 === 1) continue; // no gradient this step: no update, no decay
        const g = Array.from(Float32Array.from(rng.normalArray(shape.reduce((a, b) => a * b, 1), 0.1 + step * 0.05)));
        grads.set(name, tf.tensor(g, shape));
        const r = ref.get(name)!;
        torchAdamWStep(r.p, g, r.st, { ...hyper, lr: opt.lr, weightDecay: name.endsWith('.bias') ? 0 : hyper.weightDecay });
      }
      opt.step(params, grads);
      for (const g of grads.values()) g.dispose();
    }
    for (const [name, v] of params) closeTo(v.dataSync(), ref.get(name)!.p, 2e-5, name);
    assert.equal(opt.stepOf('lin.weight'), 20);
    assert.equal(opt.stepOf('head.weight'), 15);
    opt.dispose();
    for (const v of params.values()) v.dispose();
  });

  test(`adamw (${backend}): lrScale groups take lr x factor in the step and in the decay (longest prefix wins, 0 freezes)`, async () => {
    await initBackend(backend);
    const rng = new Rng(5);
    const shapes: Record<string, number[]> = { 'enc.weight': [3, 2], 'head.weight': [2, 2], 'head.bias': [2] };
    const factors = { 'head.': 4, 'head.bias': 0 };
    const scale = lrScaleByPrefix(factors, Object.keys(shapes))!;
    assert.deepEqual(Object.keys(shapes).map(scale), [1, 4, 0]);
    const hyper = { lr: 0.02, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1 };
    const opt = new AdamW({ ...hyper, lrScale: scale });
    const params = new Map<string, tf.Variable>();
    const ref = new Map<string, { p: number[]; st: { m: number[]; v: number[]; t: number } }>();
    for (const [name, shape] of Object.entries(shapes)) {
      const n = shape.reduce((a, b) => a * b, 1);
      const init = Array.from(Float32Array.from(rng.normalArray(n)));
      params.set(name, tf.variable(tf.tensor(init, shape)));
      ref.set(name, { p: init.slice(), st: { m: new Array(n).fill(0), v: new Array(n).fill(0), t: 0 } });
    }
    const frozen = Array.from(params.get('head.bias')!.dataSync());
    for (let step = 0; step < 6; step++) {
      opt.lr = hyper.lr / (step + 1);
      const grads = new Map<string, tf.Tensor>();
      for (const [name, shape] of Object.entries(shapes)) {
        const g = Array.from(Float32Array.from(rng.normalArray(shape.reduce((a, b) => a * b, 1), 0.5)));
        grads.set(name, tf.tensor(g, shape));
        const r = ref.get(name)!;
        torchAdamWStep(r.p, g, r.st, { ...hyper, lr: opt.lr * scale(name) });
      }
      opt.step(params, grads);
      for (const g of grads.values()) g.dispose();
    }
    for (const [name, v] of params) closeTo(v.dataSync(), ref.get(name)!.p, 2e-5, name);
    assert.deepEqual(Array.from(params.get('head.bias')!.dataSync()), frozen, 'factor 0: unchanged');
    opt.dispose();
    for (const v of params.values()) v.dispose();
  });

  test(`adamw (${backend}): export/import continues bitwise, tensor count flat, errors name the parameter`, async () => {
    await initBackend(backend);
    const mk = () => new Map<string, tf.Variable>([['a', tf.variable(tf.tensor2d([[0.5, -1], [2, 0.25]]))], ['b', tf.variable(tf.tensor1d([0.1, 0.2]))]]);
    const gradsAt = (k: number) => new Map<string, tf.Tensor>([['a', tf.tensor2d([[k, -k], [0.5, 1 / (k + 1)]])], ['b', tf.tensor1d([Math.sin(k), 0.3])]]);
    const run = (opt: AdamW, params: Map<string, tf.Variable>, from: number, to: number) => {
      for (let k = from; k < to; k++) {
        const g = gradsAt(k);
        opt.lr = 0.05 / (k + 1);
        opt.step(params, g);
        for (const t of g.values()) t.dispose();
      }
    };
    const full = mk();
    const o1 = new AdamW({ weightDecay: 0.1 });
    run(o1, full, 0, 3);
    const before = tf.memory().numTensors;
    run(o1, full, 3, 6);
    assert.equal(tf.memory().numTensors, before, 'tensor count flat across steps');

    const part = mk();
    const o2 = new AdamW({ weightDecay: 0.1 });
    run(o2, part, 0, 3);
    const saved = o2.exportState();
    o2.dispose();
    const o3 = new AdamW({ weightDecay: 0.1 });
    o3.importState(saved);
    for (const s of saved.values()) {
      s.expAvg.dispose();
      s.expAvgSq.dispose();
    }
    run(o3, part, 3, 6);
    for (const name of ['a', 'b']) assert.deepEqual(Array.from(part.get(name)!.dataSync()), Array.from(full.get(name)!.dataSync()), name);
    assert.equal(o3.stepOf('a'), 6);

    const bad = tf.tensor1d([1, 2, 3]);
    assert.throws(() => o3.step(part, new Map([['b', bad]])), /"b".*\[3\].*\[2\]/);
    assert.throws(() => o3.step(part, new Map([['zz', bad]])), /unknown parameter "zz"/);
    assert.throws(() => (o3.lr = NaN), /lr/);
    bad.dispose();
    o1.dispose();
    o3.dispose();
    for (const v of [...full.values(), ...part.values()]) v.dispose();
  });
}

test('defaultNoDecay: biases, norm gains and 1-D parameters take no decay; matrices do', () => {
  assert.equal(defaultNoDecay('enc.layers.0.attn.q.bias'), true);
  assert.equal(defaultNoDecay('enc.layers.0.norm1.weight'), true);
  assert.equal(defaultNoDecay('enc.layers.0.attn.q.weight', [4, 4]), false);
  assert.equal(defaultNoDecay('enc.mask_emb', [8]), true);
  assert.equal(defaultNoDecay('enc.proj.weight'), false);
});

for (const backend of ['wasm', 'cpu'] as const) {
  test(`adamw (${backend}): the engine's one-kernel update equals the composite update bit for bit (decay, no decay, odd sizes)`, async () => {
    await initBackend(backend);
    const shapes = { 'w': [37, 13], 'b': [13], 's': [3] } as Record<string, number[]>;
    const run = (kernel: boolean) => {
      setAdamWKernelEnabled(kernel);
      try {
        const params = new Map(Object.entries(shapes).map(([n, s]) => [n, tf.tidy(() => tf.variable(tf.tensor(new Rng(5).normalArray(s.reduce((a, b) => a * b, 1)), s)))]));
        const opt = new AdamW({ lr: 3e-3, beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: 0.05, noDecay: (n) => n === 'b' });
        const gr = new Rng(9);
        for (let step = 0; step < 5; step++) {
          const grads = new Map([...params].map(([n, p]) => [n, tf.tensor(gr.normalArray(p.size), p.shape)]));
          opt.lr = 3e-3 * (1 + step);
          opt.step(params, grads);
          tf.dispose([...grads.values()]);
        }
        const out = [...params.values()].map((p) => Array.from(p.dataSync()));
        const st = opt.exportState();
        const moments = [...st.values()].flatMap((s) => [Array.from(s.expAvg.dataSync()), Array.from(s.expAvgSq.dataSync())]);
        for (const s of st.values()) tf.dispose([s.expAvg, s.expAvgSq]);
        opt.dispose();
        tf.dispose([...params.values()]);
        return { out, moments };
      } finally {
        setAdamWKernelEnabled(true);
      }
    };
    const before = tf.memory().numTensors;
    const fused = run(true);
    const composite = run(false);
    assert.deepEqual(fused.out, composite.out, 'parameters');
    assert.deepEqual(fused.moments, composite.moments, 'moments');
    assert.equal(tf.memory().numTensors, before);
  });
}

test('lrScaleByPrefix: no map gives no scaling; a prefix that names no parameter is an error naming it', () => {
  assert.equal(lrScaleByPrefix({}, ['a.b']), undefined);
  assert.throws(() => lrScaleByPrefix({ 'byol.pred.': 10 }, ['encoder.stem.conv.weight', 'byol.predictor.layers.0.weight']), /optim\.lrScale: no trainable parameter's name starts with "byol\.pred\."/);
});
