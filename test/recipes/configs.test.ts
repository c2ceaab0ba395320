import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.ts';
import { applyOverrides, readConfigFile, readRunConfig } from '../../src/train/config.ts';
import { resolveEncoderConfig } from '../../src/models/registry.ts';
import { METHODS } from '../../src/methods/registry.ts';
import { buildData } from '../../src/data/registry.ts';
import { Fields } from '../../src/util/fields.ts';
import { writeManifest } from '../../src/data/manifest.ts';

const CORPORA = ['librispeech', 'speech_commands', 'timit'];

/**
 * Every recipe config is a valid run config once run.sh has given it its data: the generic sections,
 * the encoder, the method's config and the data section (opened on a tiny manifest with labels at the
 * config's rate), so a GPU-scale config cannot carry a misspelt field to a machine that has to find out.
 */
test('recipes/*/conf/*.yaml: run config, encoder, method and data sections all valid, labels at the right rate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recipe-conf-'));
  const samples = 48000; // 3 s: above the base configs' minimum length
  writeManifest(join(dir, 'train.tsv'), { root: dir, entries: [0, 1, 2].map((i) => ({ path: `u${i}.wav`, numSamples: samples })) });
  const files = CORPORA.flatMap((c) => readdirSync(join(repoRoot, 'recipes', c, 'conf')).filter((f) => f.endsWith('.yaml')).map((f) => join(repoRoot, 'recipes', c, 'conf', f)));
  assert.ok(files.length >= 6, files.join(', '));
  for (const file of files) {
    const rate = /iter2/.test(file) ? 50 : 100;
    const km = join(dir, `labels${rate}.km`);
    writeFileSync(km, Array.from({ length: 3 }, () => Array.from({ length: (samples / 16000) * rate }, (_, t) => t % 5).join(' ') + '\n').join(''));
    const raw = applyOverrides(readConfigFile(file), [`data.train.manifest=${join(dir, 'train.tsv')}`, `data.train.labels=["${km}"]`]);
    const cfg = readRunConfig(raw, file);
    const encoder = resolveEncoderConfig(cfg.encoder, { file, field: 'encoder' });
    assert.equal(encoder.kind, 'audio-transformer', file);
    if (encoder.kind === 'audio-transformer') {
      assert.equal(encoder.frontend, 'waveform', `${file}: HuBERT on raw audio`);
      assert.ok(encoder.layers >= 6, `${file}: layer 6 exists`);
    }
    for (const [i, m] of cfg.methods.entries()) {
      assert.equal(m.name, 'hubert');
      METHODS[m.name].readConfig(new Fields(m.config, `methods[${i}].config`, file));
    }
    const data = buildData(new Fields(cfg.data, 'data', file), { seed: cfg.seed, baseDir: dir, waveformLoader: () => new Float32Array(samples) });
    assert.equal(data.info.numTrain, 3, file);
    assert.deepEqual(data.info.labelSets.map((s) => s.perFrame), [rate / 16000], `${file}: labels at ${rate} Hz`);
  }
});
