import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.ts';
import { applyOverrides, readConfigFile } from '../../src/train/config.ts';
import { buildRun } from '../../src/train/run.ts';
import { buildEncoder } from '../../src/models/registry.ts';
import { initBackend } from '../../src/engine/backend.ts';
import { writeImageFolder } from '../data/image-fixtures.ts';
import { DIGITS_CSV } from '../methods/image-setup.ts';

/**
 * recipes/{cifar10,digits}/conf/{byol,distill}.yaml (and cifar10's byol-long.yaml) build as runs (data, encoder, method): byol.yaml as it is,
 * distill.yaml with `teacher` pointed at a one-update run of the recipe's teacher config (the shapes of the
 * teacher and the student are checked at build time, so this checks that the recipe's pair fits).
 */
const deps = { buildEncoder: (c: Record<string, unknown>, ctx: { seed: number }) => buildEncoder(c, { seed: ctx.seed }) };

for (const [recipe, teacher] of [['cifar10', 'rotation'], ['digits', 'simclr']] as const) {
  test(`recipes/${recipe}/conf/byol.yaml and distill.yaml (teacher: a ${teacher} run) build`, async () => {
    await initBackend('cpu');
    const path = recipe === 'cifar10' ? writeImageFolder(4, 32).root : DIGITS_CSV;
    const work = mkdtempSync(join(tmpdir(), `recipe-${recipe}-`));
    const conf = (name: string) => join(repoRoot, 'recipes', recipe, 'conf', `${name}.yaml`);
    const raw = (name: string, extra: string[] = []) => applyOverrides(readConfigFile(conf(name)), [`data.path=${path}`, 'data.batchSize=4', ...extra]);
    const t = await buildRun(raw(teacher, ['train.maxSteps=1', 'train.logEvery=1', 'schedule.warmupSteps=0']), { file: conf(teacher), baseDir: join(repoRoot, 'recipes', recipe, 'conf'), outDir: join(work, teacher), deps });
    await t.trainer.run();
    t.dispose();
    const byol = await buildRun(raw('byol'), { file: conf('byol'), baseDir: join(repoRoot, 'recipes', recipe, 'conf'), outDir: join(work, 'byol'), deps });
    byol.dispose();
    if (recipe === 'cifar10') {
      const long = await buildRun(raw('byol-long'), { file: conf('byol-long'), baseDir: join(repoRoot, 'recipes', recipe, 'conf'), outDir: join(work, 'byol-long'), deps });
      // The predictor trains at 10x the scheduled rate (optim.lrScale), everything else at 1x.
      const names = [...long.trainer.tensors.trainable.keys()];
      const scale = long.trainer.optimizer.options.lrScale!;
      assert.ok(names.some((n) => n.startsWith('byol.predictor.')));
      for (const n of names) assert.equal(scale(n), n.startsWith('byol.predictor.') ? 10 : 1, n);
      long.dispose();
    }
    const d = raw('distill') as { methods: { config: { teacher: string } }[] };
    assert.match(d.methods[0].config.teacher, new RegExp(`exp/${recipe}/${teacher}$`), 'the config names the recipe teacher run');
    d.methods[0].config.teacher = join(work, teacher);
    const distill = await buildRun(d, { file: conf('distill'), baseDir: join(repoRoot, 'recipes', recipe, 'conf'), outDir: join(work, 'distill'), deps });
    distill.dispose();
  });
}
