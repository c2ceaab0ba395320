import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AudioTransformerConfig } from '../../models/audio-transformer-config.ts';
import { resolveEncoderConfig } from '../../models/registry.ts';
import { InputError, errorMessage } from '../../util/errors.ts';
import { Fields } from '../../util/fields.ts';
import { hfNameOfNative, nativeNameOfHf } from './hf-names.ts';
import { mapState, type ImportPlan, type NameMapping } from './import-plan.ts';
import type { SourceState } from './source-tensor.ts';
import { readSafetensorsState, readShardedSafetensors } from './state-files.ts';

/** The model types of config.json this importer reads. */
export const HF_MODEL_TYPES = ['hubert', 'wav2vec2'] as const;
type HfModelType = (typeof HF_MODEL_TYPES)[number];

/** Modules of the task classes around the encoder (left out, and named in the import's report). */
const HF_HEADS = ['lm_head', 'quantizer', 'project_hid', 'project_q', 'projector', 'classifier', 'layer_weights', 'dropout_features', 'final_proj', 'label_embeddings_concat'];

/** Hugging Face's Wav2Vec2FeatureExtractor normalises with this epsilon: (x - mean) / sqrt(var + 1e-7). */
export const HF_NORMALIZE_EPS = 1e-7;

/** The weight files of a Hugging Face folder, in the order transformers prefers them. */
export const HF_WEIGHT_FILES = ['model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin', 'pytorch_model.bin.index.json'] as const;

export function isHfFolder(dir: string): boolean {
  return existsSync(join(dir, 'config.json'));
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`unreadable JSON: ${errorMessage(e)}`, { file });
  }
}

/** config.json of a HubertModel / Wav2Vec2Model (or a class around one) -> our encoder config. */
export function hfEncoderConfig(raw: unknown, file: string): { config: AudioTransformerConfig; modelType: HfModelType; architecture: string } {
  const f = new Fields(raw, '', file);
  const modelType = f.optionalString('model_type');
  if (!modelType || !(HF_MODEL_TYPES as readonly string[]).includes(modelType)) {
    f.fail('model_type', `model type ${JSON.stringify(modelType ?? null)} is not one this importer reads (known: ${HF_MODEL_TYPES.join(', ')})`);
  }
  const mt = modelType as HfModelType;
  const archs = f.list('architectures', []);
  const architecture = typeof archs[0] === 'string' ? archs[0] : mt === 'hubert' ? 'HubertModel' : 'Wav2Vec2Model';
  for (const act of ['hidden_act', 'feat_extract_activation']) {
    if (f.string(act, 'gelu') !== 'gelu') f.fail(act, `only "gelu" is supported, got ${JSON.stringify(f.raw(act))}`);
  }
  if (f.number('layer_norm_eps', 1e-5) !== 1e-5) f.fail('layer_norm_eps', `only 1e-5 is supported, got ${String(f.raw('layer_norm_eps'))}`);
  if (f.bool('add_adapter', false)) f.fail('add_adapter', 'adapter layers are not supported');
  if (f.bool('conv_pos_batch_norm', false)) f.fail('conv_pos_batch_norm', 'a batch-normalised positional convolution is not supported');
  const dims = f.numberList('conv_dim', [], { integer: true, min: 1 });
  const kernels = f.numberList('conv_kernel', [], { integer: true, min: 1 });
  const strides = f.numberList('conv_stride', [], { integer: true, min: 1 });
  if (dims.length === 0 || dims.length !== kernels.length || dims.length !== strides.length) {
    f.fail('conv_dim', `conv_dim, conv_kernel and conv_stride must be lists of one length, got ${dims.length}, ${kernels.length}, ${strides.length}`);
  }
  const norm = f.choice('feat_extract_norm', ['group', 'layer'] as const, 'group');
  const encoder = {
    kind: 'audio-transformer',
    frontend: 'waveform',
    inputDim: 1,
    convLayers: dims.map((channels, i) => ({ channels, kernel: kernels[i], stride: strides[i] })),
    convNorm: norm === 'group' ? 'group0' : 'layer',
    convBias: f.bool('conv_bias', false),
    featureNorm: mt === 'hubert' ? f.bool('feat_proj_layer_norm', true) : true,
    dim: f.int('hidden_size', 768, { min: 1 }),
    layers: f.int('num_hidden_layers', 12, { min: 1 }),
    heads: f.int('num_attention_heads', 12, { min: 1 }),
    ffnDim: f.int('intermediate_size', 3072, { min: 1 }),
    normFirst: f.bool('do_stable_layer_norm', false),
    dropout: f.number('hidden_dropout', 0.1, { min: 0, max: 0.99 }),
    attentionDropout: f.number('attention_dropout', 0.1, { min: 0, max: 0.99 }),
    activationDropout: f.number('activation_dropout', 0.1, { min: 0, max: 0.99 }),
    inputDropout: f.number('feat_proj_dropout', 0, { min: 0, max: 0.99 }),
    lastHiddenIsOutput: true,
    posConv: { kernelSize: f.int('num_conv_pos_embeddings', 128, { min: 1 }), groups: f.int('num_conv_pos_embedding_groups', 16, { min: 1 }), weightNorm: true },
  };
  const config = resolveEncoderConfig(encoder, { file }) as AudioTransformerConfig;
  return { config, modelType: mt, architecture };
}

/** The tensors of a Hugging Face folder, from the first weight file present. */
export function readHfWeights(dir: string, readTorch: (file: string) => SourceState): { state: SourceState; file: string } {
  for (const name of HF_WEIGHT_FILES) {
    const file = join(dir, name);
    if (!existsSync(file)) continue;
    if (name === 'model.safetensors') return { state: readSafetensorsState(file), file };
    if (name === 'model.safetensors.index.json') return { state: readShardedSafetensors(file), file };
    if (name === 'pytorch_model.bin') return { state: readTorch(file), file };
    const index = readJson(file) as { weight_map?: Record<string, string> };
    const state: SourceState = new Map();
    for (const shard of new Set(Object.values(index.weight_map ?? {}))) for (const [k, t] of readTorch(join(dir, shard))) state.set(k, t);
    return { state, file };
  }
  throw new InputError(`no weights: expected one of ${HF_WEIGHT_FILES.join(', ')}`, { file: dir });
}

/** Plans the import of a Hugging Face model folder (config.json, weights, preprocessor_config.json). */
export function planHfImport(dir: string, readTorch: (file: string) => SourceState): ImportPlan {
  const configFile = join(dir, 'config.json');
  const { config, modelType, architecture } = hfEncoderConfig(readJson(configFile), configFile);
  const { state, file } = readHfWeights(dir, readTorch);
  const prefix = `${modelType}.`;
  const prefixed = [...state.keys()].some((k) => k.startsWith(prefix));
  const map = (name: string): NameMapping => {
    const inner = prefixed ? (name.startsWith(prefix) ? name.slice(prefix.length) : undefined) : name;
    if (inner !== undefined) {
      const native = nativeNameOfHf(inner);
      if (native) return { native };
    }
    const head = HF_HEADS.find((h) => name === h || name.startsWith(`${h}.`));
    return head ? { drop: head } : undefined;
  };
  const { tensors, dropped } = mapState(state, file, map);
  const pre = join(dir, 'preprocessor_config.json');
  const doNormalize = existsSync(pre) ? new Fields(readJson(pre), '', pre).bool('do_normalize', false) : false;
  return {
    format: 'huggingface',
    description: `Hugging Face ${architecture} (model_type ${modelType})${existsSync(pre) ? '' : ', no preprocessor_config.json'}`,
    file,
    config,
    normalize: doNormalize ? { eps: HF_NORMALIZE_EPS } : null,
    tensors,
    dropped,
    sourceName: (native) => (prefixed ? prefix : '') + hfNameOfNative(native),
  };
}
