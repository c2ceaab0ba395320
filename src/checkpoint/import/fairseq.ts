import type { AudioTransformerConfig } from '../../models/audio-transformer-config.ts';
import { resolveEncoderConfig } from '../../models/registry.ts';
import { InputError, errorMessage } from '../../util/errors.ts';
import { Fields } from '../../util/fields.ts';
import { parseConvLayers } from './conv-layers-literal.ts';
import { mapState, type ImportPlan, type NameMapping } from './import-plan.ts';
import { asState } from './state-files.ts';

/** fairseq's default waveform stack (wav2vec 2.0 / HuBERT base and large). */
export const FAIRSEQ_CONV_LAYERS = '[(512, 10, 5)] + [(512, 3, 2)] * 4 + [(512,2,2)] + [(512,2,2)]';

/** fairseq's per-utterance normalisation: F.layer_norm(wav, wav.shape), epsilon 1e-5. */
export const FAIRSEQ_NORMALIZE_EPS = 1e-5;

/** Prefix of the pretrained model inside a fine-tuned checkpoint (Wav2VecCtc / HubertCtc). */
export const FINETUNED_PREFIX = 'w2v_encoder.w2v_model.';

/** Pretraining and fine-tuning heads: left out, and named in the import's report. */
const FAIRSEQ_HEADS = ['label_embs_concat', 'final_proj', 'quantizer', 'project_q', 'project_inp', 'target_glu', 'w2v_encoder.proj', 'decoder'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The fairseq model config fields of a Wav2Vec2Model / HubertModel -> our encoder config. `field` says
 * where in the checkpoint they were (`cfg.model`, `args.w2v_args`...).
 */
export function fairseqEncoderConfig(model: Record<string, unknown>, file: string, field: string, featureNorm = true): AudioTransformerConfig {
  const f = new Fields(model, field, file);
  if (f.string('activation_fn', 'gelu') !== 'gelu') f.fail('activation_fn', `only "gelu" is supported, got ${JSON.stringify(f.raw('activation_fn'))}`);
  if (f.string('layer_type', 'transformer') !== 'transformer') f.fail('layer_type', `only "transformer" layers are supported, got ${JSON.stringify(f.raw('layer_type'))}`);
  if (f.int('pos_conv_depth', 1) !== 1) f.fail('pos_conv_depth', `only one positional convolution is supported, got ${String(f.raw('pos_conv_depth'))}`);
  const mode = f.choice('extractor_mode', ['default', 'layer_norm'] as const, 'default');
  const layersText = f.string('conv_feature_layers', FAIRSEQ_CONV_LAYERS);
  let convLayers;
  try {
    convLayers = parseConvLayers(layersText);
  } catch (e) {
    f.fail('conv_feature_layers', errorMessage(e));
  }
  const encoder = {
    kind: 'audio-transformer',
    frontend: 'waveform',
    inputDim: 1,
    convLayers,
    convNorm: mode === 'default' ? 'group0' : 'layer',
    convBias: f.bool('conv_bias', false),
    featureNorm,
    dim: f.int('encoder_embed_dim', 768, { min: 1 }),
    layers: f.int('encoder_layers', 12, { min: 1 }),
    heads: f.int('encoder_attention_heads', 12, { min: 1 }),
    ffnDim: f.int('encoder_ffn_embed_dim', 3072, { min: 1 }),
    normFirst: f.bool('layer_norm_first', false),
    dropout: f.number('dropout', 0.1, { min: 0, max: 0.99 }),
    attentionDropout: f.number('attention_dropout', 0.1, { min: 0, max: 0.99 }),
    activationDropout: f.number('activation_dropout', 0, { min: 0, max: 0.99 }),
    inputDropout: f.number('dropout_input', 0, { min: 0, max: 0.99 }),
    lastHiddenIsOutput: true,
    posConv: { kernelSize: f.int('conv_pos', 128, { min: 1 }), groups: f.int('conv_pos_groups', 16, { min: 1 }), weightNorm: true },
  };
  return resolveEncoderConfig(encoder, { file, field }) as AudioTransformerConfig;
}

/** The model and task config of a fairseq checkpoint: `cfg` (a dict, fairseq >= 0.10.2) or `args` (a Namespace). */
function fairseqConfigs(root: Record<string, unknown>, file: string): { model: Record<string, unknown>; task: Record<string, unknown>; where: string; finetuned: boolean } {
  let model: unknown;
  let task: unknown;
  let where: string;
  if (isObject(root.cfg)) {
    model = root.cfg.model;
    task = root.cfg.task;
    where = 'cfg.model';
  } else if (isObject(root.args)) {
    model = root.args;
    task = root.args;
    where = 'args';
  } else throw new InputError('neither "cfg" nor "args" in the checkpoint: not a fairseq checkpoint', { file });
  if (!isObject(model)) throw new InputError(`"${where}" is not a config object`, { file });
  const w2v = model.w2v_args;
  if (!isObject(w2v)) return { model, task: isObject(task) ? task : {}, where, finetuned: false };
  // Fine-tuned: the pretrained model's config is w2v_args (a full cfg with .model/.task, or a Namespace).
  const pre = isObject(w2v.model) ? w2v.model : w2v;
  const preTask = isObject(w2v.task) ? w2v.task : w2v;
  const ftTask = isObject(task) ? task : {};
  const normalize = ftTask.normalize ?? preTask.normalize;
  return { model: pre, task: normalize === undefined ? {} : { normalize }, where: `${where}.w2v_args${isObject(w2v.model) ? '.model' : ''}`, finetuned: true };
}

/**
 * Plans the import of a loaded fairseq checkpoint (`{cfg | args, model: state dict}`): HuBERT or wav2vec 2.0,
 * pretrained or fine-tuned (the encoder under `w2v_encoder.w2v_model.`).
 */
export function planFairseqImport(root: unknown, file: string): ImportPlan {
  if (!isObject(root)) throw new InputError('expected a dict with "model" and "cfg" or "args": not a fairseq checkpoint', { file });
  const { model, task, where, finetuned } = fairseqConfigs(root, file);
  const config = fairseqEncoderConfig(model, file, where);
  const normalize = new Fields(task, where.startsWith('cfg') ? 'cfg.task' : 'args', file).bool('normalize', false);
  const state = asState(root.model, file, 'model');
  const prefix = finetuned ? FINETUNED_PREFIX : '';
  const map = (name: string): NameMapping => {
    if (name.startsWith(prefix)) {
      const inner = name.slice(prefix.length).replace(/^(feature_extractor\.conv_layers\.\d+\.2)\.1\./, '$1.');
      const head = FAIRSEQ_HEADS.find((h) => inner === h || inner.startsWith(`${h}.`));
      return head ? { drop: prefix + head } : { native: inner };
    }
    const head = FAIRSEQ_HEADS.find((h) => name === h || name.startsWith(`${h}.`));
    return head ? { drop: head } : undefined;
  };
  const { tensors, dropped } = mapState(state, file, map);
  const name = String(model._name ?? model.arch ?? 'wav2vec2');
  const layerNormMode = config.convNorm === 'layer';
  return {
    format: 'fairseq',
    description: `fairseq ${name}${finetuned ? ' (fine-tuned)' : ''}, config from ${where}`,
    file,
    config,
    normalize: normalize ? { eps: FAIRSEQ_NORMALIZE_EPS } : null,
    tensors,
    dropped,
    sourceName: (n) => prefix + (layerNormMode ? n.replace(/^(feature_extractor\.conv_layers\.\d+\.2)\./, '$1.1.') : n),
  };
}
