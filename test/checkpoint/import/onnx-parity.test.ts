/** Imported models through the ONNX export: every hidden state of the exported graph within 1e-4 of torchaudio. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../../src/engine/backend.ts';
import { importPretrained } from '../../../src/checkpoint/import/import-source.ts';
import { exportCheckpoint } from '../../../src/export/export-checkpoint.ts';
import { createFeaturizer } from '../../../src/features/featurizer.ts';
import { fixture, maxAbsDiff, referenceHidden, wave } from './fixtures.ts';
import { readNpy } from '../../../src/util/npy.ts';

const dir = mkdtempSync(join(tmpdir(), 'import-onnx-'));

const CASES = [
  [{ source: fixture('hubert-fairseq.pt') }, 'hubert'],
  [{ source: fixture('wav2vec2-torchaudio.pt'), config: fixture('wav2vec2-torchaudio.json') }, 'wav2vec2'],
] as const;

for (const [opts, model] of CASES) {
  test(`${opts.source.split('/').pop()} imported, exported to ONNX (--layers all): hidden_0..hidden_2 and hidden within 1e-4 of torchaudio`, async () => {
    await initBackend('cpu');
    const run = join(dir, model);
    importPretrained({ ...opts, out: run });
    const out = join(dir, `${model}.onnx`);
    const r = exportCheckpoint({ checkpoint: run, out, layers: 'all', withFrontend: false, frontendPrecision: 'float64', paddingMask: true });
    assert.deepEqual(r.model.outputNames, ['hidden', 'hidden_0', 'hidden_1', 'hidden_2', 'lengths']);
    const ref = referenceHidden(model);
    const [n, t, d] = ref.shape;
    for (let layer = 0; layer < n; layer++) {
      const f = await createFeaturizer(out, { layer: String(layer), device: 'cpu', threads: 1 });
      try {
        const m = await f.compute(wave());
        const diff = maxAbsDiff(m.data, ref.data.subarray(layer * t * d, (layer + 1) * t * d));
        assert.ok(diff < 1e-4, `${model} hidden_${layer}: max |diff| ${diff}`);
      } finally {
        await f.dispose?.();
      }
    }
    const last = await createFeaturizer(out, { layer: 'last', device: 'cpu', threads: 1 });
    assert.ok(maxAbsDiff((await last.compute(wave())).data, ref.data.subarray((n - 1) * t * d)) < 1e-4);
    await last.dispose?.();
  });
}

test('an imported model that normalises its input (Hugging Face do_normalize) does so inside the ONNX graph, per utterance in a padded batch', async () => {
  await initBackend('cpu');
  const run = join(dir, 'w2v-normalised');
  importPretrained({ source: fixture('wav2vec2-hf'), out: run });
  const out = join(dir, 'w2v-normalised.onnx');
  const r = exportCheckpoint({ checkpoint: run, out, layers: 'last', withFrontend: false, frontendPrecision: 'float64', paddingMask: true });
  assert.match(r.model.metadata.waveform_normalization, /sqrt\(var \+ 1e-7\)/);
  const ref = readNpy(fixture('wav2vec2-hidden-normalized.npy')).data as Float32Array;
  const f = await createFeaturizer(out, { layer: 'last', device: 'cpu', threads: 1, batchSize: 2 });
  try {
    const x = wave();
    const short = x.slice(0, 1000).map((v) => 3 * v + 0.5);
    const [a, b] = await f.computeBatch!([x, short], [{}, {}]);
    assert.ok(maxAbsDiff(a.data, ref) < 1e-4, 'the normalised reference');
    const alone = await f.compute(short);
    assert.ok(maxAbsDiff(b.data, alone.data) < 1e-5, 'a padded row is normalised over its own samples');
    // Scale and offset do not change a normalised input's features.
    const tfjs = await createFeaturizer(run, { layer: 'last', backend: 'cpu' });
    assert.ok(maxAbsDiff((await tfjs.compute(short)).data, (await tfjs.compute(x.slice(0, 1000))).data) < 1e-4);
    assert.ok(maxAbsDiff((await tfjs.compute(short)).data, alone.data) < 1e-4, 'ONNX and tfjs agree');
    await tfjs.dispose?.();
  } finally {
    await f.dispose?.();
  }
});
