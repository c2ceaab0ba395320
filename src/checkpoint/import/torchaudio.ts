import type { AudioTransformerConfig } from '../../models/audio-transformer-config.ts';
import { HUBERT_CONV_LAYERS } from '../../models/conv-stack.ts';
import { resolveEncoderConfig } from '../../models/registry.ts';
import { InputError } from '../../util/errors.ts';
import { Fields } from '../../util/fields.ts';
import { hfNameOfNative, nativeNameOfHf } from './hf-names.ts';
import { mapState, type ImportPlan, type NameMapping } from './import-plan.ts';
import { asState } from './state-files.ts';

/** torchaudio's Wav2Vec2Model names are Hugging Face's under other prefixes. */
const TA_TO_HF: ReadonlyArray<readonly [string, string]> = [
  ['encoder.feature_projection.', 'feature_projection.'],
  ['encoder.transformer.', 'encoder.'],
];

/**
 * The arguments of torchaudio's `wav2vec2_model(...)` (a --config JSON) -> our encoder config. Every
 * architecture argument is required; dropouts default to 0.1 and `aux_num_out` (the CTC head) is ignored.
 */
export function torchaudioEncoderConfig(raw: unknown, file: string): AudioTransformerConfig {
  const f = new Fields(raw, '', file);
  const need = (name: string) => {
    if (!f.has(name)) f.fail(name, 'required (an argument of torchaudio.models.wav2vec2_model)');
  };
  ['extractor_mode', 'encoder_embed_dim', 'encoder_num_layers', 'encoder_num_heads', 'encoder_ff_interm_features', 'encoder_layer_norm_first'].forEach(need);
  const mode = f.choice('extractor_mode', ['group_norm', 'layer_norm'] as const, 'group_norm');
  const layers = f.raw('extractor_conv_layer_config');
  let convLayers = HUBERT_CONV_LAYERS;
  if (layers !== null && layers !== undefined) {
    if (!Array.isArray(layers) || layers.length === 0) f.fail('extractor_conv_layer_config', 'expected a list of [channels, kernel, stride] or null');
    convLayers = (layers as unknown[]).map((l, i) => {
      if (!Array.isArray(l) || l.length !== 3 || !l.every((x) => Number.isInteger(x) && (x as number) > 0)) f.fail(`extractor_conv_layer_config.${i}`, `expected [channels, kernel, stride], got ${JSON.stringify(l)}`);
      const [channels, kernel, stride] = l as number[];
      return { channels, kernel, stride };
    });
  }
  const encoder = {
    kind: 'audio-transformer',
    frontend: 'waveform',
    inputDim: 1,
    convLayers,
    convNorm: mode === 'group_norm' ? 'group0' : 'layer',
    convBias: f.bool('extractor_conv_bias', false),
    featureNorm: true,
    dim: f.int('encoder_embed_dim', 768, { min: 1 }),
    layers: f.int('encoder_num_layers', 12, { min: 1 }),
    heads: f.int('encoder_num_heads', 12, { min: 1 }),
    ffnDim: f.int('encoder_ff_interm_features', 3072, { min: 1 }),
    normFirst: f.bool('encoder_layer_norm_first', false),
    dropout: f.number('encoder_dropout', 0.1, { min: 0, max: 0.99 }),
    attentionDropout: f.number('encoder_attention_dropout', 0.1, { min: 0, max: 0.99 }),
    activationDropout: f.number('encoder_ff_interm_dropout', 0.1, { min: 0, max: 0.99 }),
    inputDropout: f.number('encoder_projection_dropout', 0.1, { min: 0, max: 0.99 }),
    lastHiddenIsOutput: true,
    posConv: { kernelSize: f.int('encoder_pos_conv_kernel', 128, { min: 1 }), groups: f.int('encoder_pos_conv_groups', 16, { min: 1 }), weightNorm: true },
  };
  return resolveEncoderConfig(encoder, { file }) as AudioTransformerConfig;
}

/** Plans the import of `torch.save(model.state_dict())` of a torchaudio Wav2Vec2Model, its config given apart. */
export function planTorchaudioImport(root: unknown, file: string, configRaw: unknown, configFile: string): ImportPlan {
  if (configRaw === undefined) throw new InputError('a torchaudio state dict has no architecture in it: pass --config JSON (the arguments of torchaudio.models.wav2vec2_model)', { file });
  const config = torchaudioEncoderConfig(configRaw, configFile);
  const state = asState(root, file, '(the state dict)');
  const map = (name: string): NameMapping => {
    if (name.startsWith('aux.')) return { drop: 'aux' };
    let hf = name;
    for (const [from, to] of TA_TO_HF) if (hf.startsWith(from)) hf = to + hf.slice(from.length);
    const native = nativeNameOfHf(hf);
    return native && native !== 'mask_emb' ? { native } : undefined;
  };
  const { tensors, dropped } = mapState(state, file, map);
  const toTa = (n: string) => {
    const hf = hfNameOfNative(n);
    for (const [from, to] of TA_TO_HF) if (hf.startsWith(to)) return from + hf.slice(to.length);
    return hf;
  };
  return { format: 'torchaudio', description: `torchaudio Wav2Vec2Model state dict (${config.layers} layers of ${config.dim})`, file, config, normalize: null, tensors, dropped, sourceName: toTa };
}
