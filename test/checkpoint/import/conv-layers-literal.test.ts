import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConvLayers } from '../../../src/checkpoint/import/conv-layers-literal.ts';

test('conv_feature_layers is parsed as data: fairseq\'s default stack, repeats, trailing commas, n * [...]', () => {
  const base = parseConvLayers('[(512, 10, 5)] + [(512, 3, 2)] * 4 + [(512,2,2)] + [(512,2,2)]');
  assert.deepEqual(base.map((l) => [l.channels, l.kernel, l.stride]), [[512, 10, 5], [512, 3, 2], [512, 3, 2], [512, 3, 2], [512, 3, 2], [512, 2, 2], [512, 2, 2]]);
  assert.deepEqual(parseConvLayers(' 2 * [(4,3,2,),] '), [{ channels: 4, kernel: 3, stride: 2 }, { channels: 4, kernel: 3, stride: 2 }]);
  assert.deepEqual(parseConvLayers('[(8, 4, 2), (8, 2, 1)]').length, 2);
});

test('conv_feature_layers: anything but the list-of-tuples literal is refused, naming the position', () => {
  assert.throws(() => parseConvLayers('__import__("os").system("x")'), /expected "\[" at character 1/);
  assert.throws(() => parseConvLayers('[(512, 10)]'), /expected "," at character 10/);
  assert.throws(() => parseConvLayers('[(512, 10, 5)] * 2 - 1'), /expected "\+" or the end at character 20/);
  assert.throws(() => parseConvLayers('[(0, 10, 5)]'), /positive/);
  assert.throws(() => parseConvLayers('[]'), /no layers/);
});
