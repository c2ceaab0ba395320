/** Imported models through the ONNX export: every hidden state of the exported graph within 1e-4 of torchaudio. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../../src/engine/backend.ts';
import { importPretrained } from '../../../src/checkpoint/import/import-source.ts';
import { exportCheckpoint } from '../../../src/export/export-checkpoint.ts';
import { createFeaturizer } from '../../../src/audio/featurizer.ts';
import { fixture, maxAbsDiff, referenceHidden, wave } from './fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'import-onnx-'));

for (const [source, model] of [['hubert-fairseq.pt', 'hubert'], ['wav2vec2-hf', 'wav2vec2']] as const) {
  test(`${source} imported, exported to ONNX (--layers all): hidden_0..hidden_2 and hidden within 1e-4 of torchaudio`, async () => {
    await initBackend('cpu');
    const run = join(dir, model);
    importPretrained({ source: fixture(source), out: run });
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
