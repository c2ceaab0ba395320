import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { readConfigFile, readRunConfig } from '../../src/train/config.ts';
import { METHODS } from '../../src/methods/registry.ts';
import { resolveEncoderConfig } from '../../src/models/registry.ts';
import { Fields } from '../../src/util/fields.ts';
import { repoRoot } from '../helpers/paths.ts';
import type { DistillConfig } from '../../src/methods/distill.ts';

/** The recipe configs of this area are valid run configs whose method sections read without errors. */
const conf = join(repoRoot, 'recipes', 'fsdd', 'conf');

for (const name of ['byol', 'distill']) {
  test(`recipes/fsdd/conf/${name}.yaml is a valid ${name} run`, () => {
    const file = join(conf, `${name}.yaml`);
    const config = readRunConfig(readConfigFile(file), file);
    assert.equal(config.methods.length, 1);
    const m = config.methods[0];
    assert.equal(m.name, name);
    const read = METHODS[name].readConfig(new Fields(m.config, 'methods[0].config', file));
    resolveEncoderConfig(config.encoder, { file, field: 'encoder' });
    if (name === 'distill') {
      // The teacher is the recipe's HuBERT iteration-2 run (exp/fsdd/hubert2 under the repository).
      assert.equal(resolve(conf, (read as DistillConfig).teacher), join(repoRoot, 'exp', 'fsdd', 'hubert2', 'checkpoints'));
    }
  });
}
