import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { installPlan } from '../../scripts/setup-cuda.ts';

test('setup:cuda forces onnxruntime-node\'s installer (the CUDA 12 manifest on linux/x64), overriding an npm-config skip', () => {
  const plan = installPlan();
  assert.ok(existsSync(plan.args[0]), plan.args[0]);
  // npm exports config settings (an .npmrc's, a user's) to scripts; the installer must still see cuda12.
  const require = createRequire(import.meta.url);
  const utils = require(join(plan.cwd, 'script', 'install-utils.js')) as { parseInstallFlag(): unknown };
  const saved = { a: process.env.ONNXRUNTIME_NODE_INSTALL, b: process.env.npm_config_onnxruntime_node_install };
  try {
    process.env.npm_config_onnxruntime_node_install = 'skip';
    delete process.env.ONNXRUNTIME_NODE_INSTALL;
    assert.equal(utils.parseInstallFlag(), false);
    Object.assign(process.env, plan.env);
    assert.equal(utils.parseInstallFlag(), true);
  } finally {
    for (const [k, v] of [['ONNXRUNTIME_NODE_INSTALL', saved.a], ['npm_config_onnxruntime_node_install', saved.b]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  const metadata = require(join(plan.cwd, 'script', 'install-metadata.js')) as { requirements: Record<string, string[]> };
  // Forcing installs the platform's requirements: on linux/x64 exactly the CUDA 12 provider.
  assert.deepEqual(metadata.requirements['linux/x64'], ['cuda12']);
});

test('`npm run setup:cuda` is declared and runs scripts/setup-cuda.ts (--dry-run prints the installer command)', async () => {
  const { readFileSync } = await import('node:fs');
  const { spawnSync } = await import('node:child_process');
  const root = new URL('../..', import.meta.url).pathname;
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.equal(pkg.scripts['setup:cuda'], 'node --import tsx scripts/setup-cuda.ts');
  if (`${process.platform}/${process.arch}` !== 'linux/x64') return;
  const r = spawnSync('npm', ['run', '--silent', 'setup:cuda', '--', '--dry-run'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /ONNXRUNTIME_NODE_INSTALL=true .*onnxruntime-node[/\\]script[/\\]install\.js/);
});
