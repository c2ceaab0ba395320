import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.ts';
import { applyOverrides, readConfigFile, readRunConfig } from '../../src/train/config.ts';
import { buildEncoder } from '../../src/models/registry.ts';
import { METHODS } from '../../src/methods/registry.ts';
import { buildData } from '../../src/data/registry.ts';
import { initBackend } from '../../src/engine/backend.ts';
import { Fields } from '../../src/util/fields.ts';
import { Rng } from '../../src/util/rng.ts';
import { writeImageFolder } from '../data/image-fixtures.ts';
import { DIGITS_CSV } from '../methods/image-setup.ts';

/**
 * The image recipes' configs build: run config, data (the CIFAR configs on a small 32x32 folder of the same
 * layout, the digits configs on the real CSV), encoder and every method, which checks that the encoder
 * reads the data's images (channels, the ViT's side) and the method's config is complete.
 */
test('recipes/{cifar10,digits}/conf/*.yaml build their data, encoder and methods', async () => {
  await initBackend('cpu');
  const folder = writeImageFolder(30, 32).root;
  for (const [recipe, path] of [['cifar10', folder], ['digits', DIGITS_CSV]] as const) {
    const dir = join(repoRoot, 'recipes', recipe, 'conf');
    // byol*.yaml and distill.yaml (which needs its teacher's checkpoint): test/recipes/image-bootstrap-configs.test.ts
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') && !f.startsWith('byol') && f !== 'distill.yaml');
    const expected = ['cpc.yaml', 'masked-patch.yaml', 'relative-position.yaml', 'rotation.yaml', 'simclr.yaml', ...(recipe === 'cifar10' ? ['simclr-long.yaml'] : [])];
    assert.deepEqual(files.sort(), expected.sort(), recipe);
    for (const f of files) {
      const file = join(dir, f);
      const cfg = readRunConfig(applyOverrides(readConfigFile(file), [`data.path=${path}`]), file);
      const data = buildData(new Fields(cfg.data, 'data', file), { seed: cfg.seed, baseDir: dir });
      const encoder = buildEncoder(cfg.encoder, { file, field: 'encoder', seed: cfg.seed });
      for (const [i, m] of cfg.methods.entries()) {
        const def = METHODS[m.name];
        assert.ok(def, `${file}: method ${m.name} is registered`);
        const method = await def.create(def.readConfig(new Fields(m.config, `methods[${i}].config`, file)), { key: m.key, encoder, data: data.info, layer: m.layer, rng: new Rng(1), baseDir: dir });
        method.dispose();
      }
      encoder.dispose();
    }
  }
});
