import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AudioTransformerEncoder } from '../models/audio-transformer.ts';
import { convBiasOf } from '../models/audio-transformer-config.ts';
import type { Encoder } from '../models/encoder.ts';
import { encodeSafetensors, type NamedArray } from './safetensors.ts';
import { writeDirAtomic } from '../util/atomic.ts';
import { InputError } from '../util/errors.ts';
import type { JsonValue } from '../util/fields.ts';
import { hfNameOfNative } from './import/hf-names.ts';
import { orientationOf, toTorch } from './import/source-tensor.ts';

/**
 * An audio transformer in Hugging Face's layout (`speech-ssl export RUN --format hf`): config.json of a
 * HubertModel (model_type hubert: the class that also covers a missing LayerNorm before the projection),
 * model.safetensors with Hugging Face's names and PyTorch's orientations (Linear [out, in], Conv1d
 * [out, in/groups, k], weight_g [1, 1, k]), and preprocessor_config.json with do_normalize as the run
 * normalises its waveform. transformers' HubertModel.from_pretrained and torchaudio's import_huggingface_model
 * load it; `speech-ssl import` reads it back bit for bit.
 */
export interface HfExport {
  config: Record<string, JsonValue>;
  tensors: Map<string, NamedArray>;
  preprocessor: Record<string, JsonValue>;
}

function refuse(what: string, where: string): never {
  throw new InputError(`the Hugging Face layout cannot hold this encoder: ${what}`, { file: where });
}

/** Our encoder -> Hugging Face's config and tensors. `normalize`: the run normalises each utterance's waveform. */
export function hfExportOf(encoder: Encoder, normalize: boolean, where: string): HfExport {
  if (!(encoder instanceof AudioTransformerEncoder)) refuse(`it is a ${encoder.kind} encoder, not an audio transformer`, where);
  const c = encoder.config;
  if (c.frontend !== 'waveform') refuse(`its frontend is "${c.frontend}" (Hugging Face's HuBERT / wav2vec 2.0 take the waveform through a conv stack)`, where);
  if (c.convNorm === 'none') refuse('its conv stack has no norm (Hugging Face has group norm on the first layer or layer norm on every layer)', where);
  if (c.convLayers.some((l) => (l.padding ?? 0) !== 0)) refuse('its conv stack pads (Hugging Face\'s does not)', where);
  if (!c.posConv) refuse('it has no positional convolution', where);
  const config: Record<string, JsonValue> = {
    architectures: ['HubertModel'],
    model_type: 'hubert',
    hidden_size: c.dim,
    num_hidden_layers: c.layers,
    num_attention_heads: c.heads,
    intermediate_size: c.ffnDim,
    hidden_act: 'gelu',
    layer_norm_eps: 1e-5,
    feat_extract_norm: c.convNorm === 'group0' ? 'group' : 'layer',
    feat_extract_activation: 'gelu',
    conv_dim: c.convLayers.map((l) => l.channels),
    conv_kernel: c.convLayers.map((l) => l.kernel),
    conv_stride: c.convLayers.map((l) => l.stride),
    conv_bias: convBiasOf(c),
    feat_proj_layer_norm: c.featureNorm,
    num_conv_pos_embeddings: c.posConv.kernelSize,
    num_conv_pos_embedding_groups: c.posConv.groups,
    do_stable_layer_norm: c.normFirst,
    hidden_dropout: c.dropout,
    attention_dropout: c.attentionDropout,
    activation_dropout: c.activationDropout,
    feat_proj_dropout: c.inputDropout,
    layerdrop: 0,
    mask_time_prob: 0.05,
    torch_dtype: 'float32',
  };
  const tensors = new Map<string, NamedArray>();
  const params = encoder.namedParameters();
  for (const [name, v] of params) {
    const data = Float32Array.from(v.dataSync() as Float32Array);
    if (name === 'encoder.pos_conv.0.weight') {
      // Hugging Face always weight-normalises the positional convolution: g = ||w|| per tap, v = w.
      const [k, cin, cout] = v.shape;
      const g = new Float32Array(k);
      for (let t = 0; t < k; t++) for (let j = 0; j < cin * cout; j++) g[t] += data[t * cin * cout + j] ** 2;
      tensors.set(hfNameOfNative('encoder.pos_conv.0.weight_g'), toTorch(g.map(Math.sqrt), [k, 1, 1], 'gain'));
      tensors.set(hfNameOfNative('encoder.pos_conv.0.weight_v'), toTorch(data, [...v.shape], 'conv'));
      continue;
    }
    tensors.set(hfNameOfNative(name), toTorch(data, [...v.shape], orientationOf(name, v.shape.length)));
  }
  const preprocessor: Record<string, JsonValue> = {
    feature_extractor_type: 'Wav2Vec2FeatureExtractor',
    feature_size: 1,
    sampling_rate: 16000,
    padding_value: 0,
    do_normalize: normalize,
    return_attention_mask: true,
  };
  return { config, tensors, preprocessor };
}

/** Writes the export into `out` atomically (a new or empty folder). */
export function writeHfExport(out: string, e: HfExport): void {
  if (existsSync(out) && (!statSync(out).isDirectory() || readdirSync(out).length > 0)) throw new InputError('the output folder exists and is not empty; choose another --out or remove it', { file: out });
  writeDirAtomic(out, (tmp) => {
    writeFileSync(join(tmp, 'config.json'), JSON.stringify(e.config, null, 2) + '\n');
    writeFileSync(join(tmp, 'model.safetensors'), encodeSafetensors(e.tensors, { format: 'pt' }));
    writeFileSync(join(tmp, 'preprocessor_config.json'), JSON.stringify(e.preprocessor, null, 2) + '\n');
  });
}
