/**
 * `--features <checkpoint-dir | run-dir>` and `--features model.onnx`: learned features from a trained
 * encoder's hidden layer, computed with tfjs from a checkpoint or with onnxruntime from an exported file.
 * The kinds are declared here (flags, matching); the implementations load lazily, so the signal-processing
 * kinds never pull in tfjs or onnxruntime.
 */
import { existsSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { DEVICES } from '../export/providers.ts';
import { BACKEND_CHOICES } from '../engine/backend-choices.ts';
import type { FeaturizerKind } from './featurizer.ts';
import { specsFromDefaults } from './feature-options.ts';

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}


const LAYER_HELP = 'hidden state to extract: 0 = input to the first context layer, N = after layer N, last = the encoder output (an imported model numbers them as Hugging Face hidden_states: its last layer is the output)';
const CKPT_FRONTEND_HELP = 'features.json of the features the encoder takes ("" = the training run\'s)';
const ONNX_FRONTEND_HELP = 'features.json of the features a feature-input model takes ("" = its feature_config metadata)';

export const CHECKPOINT_FEATURE_DEFAULTS = { layer: 'last', backend: 'auto', frontendConfig: '' };
export const ONNX_FEATURE_DEFAULTS = { layer: 'last', device: 'auto', threads: 0, batchSize: 8, inputName: '', outputName: '', frontendConfig: '' };

export const checkpointKind: FeaturizerKind = {
  name: '<checkpoint-dir|run-dir>',
  summary: 'hidden states of a trained encoder (tfjs), input features computed as for its training data',
  // A folder, or a path that is not a kind name or an ONNX file (so a missing checkpoint is reported as such).
  matches: (s) => isDirectory(s) || (!existsSync(s) && /[/\\]/.test(s) && extname(s).toLowerCase() !== '.onnx'),
  options: specsFromDefaults(CHECKPOINT_FEATURE_DEFAULTS, { layer: `${LAYER_HELP}, all = every hidden state side by side (for eval probe --layers all)`, backend: 'tfjs backend', frontendConfig: CKPT_FRONTEND_HELP }, { choices: { backend: BACKEND_CHOICES } }),
  async create(spec, values) {
    const { createCheckpointFeaturizer } = await import('./checkpoint-featurizer.ts');
    return createCheckpointFeaturizer(spec, values);
  },
};

export const onnxKind: FeaturizerKind = {
  name: '<model.onnx>',
  summary: 'outputs of an ONNX encoder (onnxruntime-node), utterances batched by length with a padding mask',
  matches: (s) => extname(s).toLowerCase() === '.onnx' || isFile(s),
  options: specsFromDefaults(
    ONNX_FEATURE_DEFAULTS,
    {
      layer: `${LAYER_HELP} (reads the output hidden_N, or hidden)`,
      device: 'onnxruntime execution provider (cuda needs `npm run setup:cuda`)',
      threads: 'onnxruntime intra-op threads (0 = one per core)',
      batchSize: 'utterances per batch (sorted by length, padded, with the padding mask; with --jobs N each thread runs one at a time)',
      inputName: 'the model input to feed ("" = its first float input of rank 2 or 3)',
      outputName: 'the output to write ("" = per --layer)',
      frontendConfig: ONNX_FRONTEND_HELP,
    },
    { choices: { device: DEVICES }, ints: ['threads', 'batchSize'] },
  ),
  async create(spec, values) {
    const { createOnnxFeaturizer } = await import('./onnx-featurizer.ts');
    return createOnnxFeaturizer(spec, values);
  },
};
