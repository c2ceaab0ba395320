import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { comparableConfig } from '../../src/features/extract/run-extract.ts';

test('features.json: one model named by a relative path, an absolute one or a link is one configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'extract-config-'));
  const model = join(dir, 'hubert.onnx');
  writeFileSync(model, 'x');
  symlinkSync(model, join(dir, 'link.onnx'));
  const config = (path: string, layer = 2) => JSON.stringify({ kind: 'onnx', model: path, output: `hidden_${layer}`, inputFeatures: null }, null, 2) + '\n';
  const absolute = comparableConfig(config(model));
  assert.equal(comparableConfig(config(relative(process.cwd(), model))), absolute);
  assert.equal(comparableConfig(config(join(dir, 'link.onnx'))), absolute);
  assert.notEqual(comparableConfig(config(model, 1)), absolute, 'another layer is another configuration');
  assert.notEqual(comparableConfig(config(join(dir, 'other.onnx'))), absolute, 'another model is another configuration');
  const ckpt = (path: string) => JSON.stringify({ kind: 'checkpoint', checkpoint: path, step: 300 });
  assert.equal(comparableConfig(ckpt(dir)), comparableConfig(ckpt(relative(process.cwd(), dir))));
  assert.equal(comparableConfig('not json'), 'not json');
});
