import { InputError } from '../../util/errors.ts';
import { Fields } from '../../util/fields.ts';
import { fairseqEncoderConfig } from './fairseq.ts';
import { mapState, type ImportPlan, type NameMapping } from './import-plan.ts';
import { asState } from './state-files.ts';

/** The distiller's heads (layer predictions, task embeddings): left out, named in the report. */
const S3PRL_HEADS = ['output_layer', 'task_embedding'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Plans the import of an s3prl distiller checkpoint (DistilHuBERT): `{"Distiller": state dict, "Config":
 * {"distiller": {...}}}`. The distiller is fairseq's waveform stack and transformer encoder with fairseq's
 * names, without the LayerNorm before the projection, and without the projection when the stack's width
 * equals the model's (imported here as an identity).
 */
export function planS3prlImport(root: unknown, file: string): ImportPlan {
  if (!isObject(root) || !isObject(root.Config) || root.Distiller === undefined) {
    throw new InputError('expected {"Distiller": state dict, "Config": {"distiller": ...}}: not an s3prl distiller checkpoint', { file });
  }
  const d = new Fields(root.Config.distiller, 'Config.distiller', file);
  if (d.string('attention_type', 'original') !== 'original') d.fail('attention_type', `only "original" attention is supported, got ${JSON.stringify(d.raw('attention_type'))}`);
  if (d.int('encoder_layers', 1) < 1) d.fail('encoder_layers', 'a distiller without transformer layers is not supported');
  const raw = root.Config.distiller as Record<string, unknown>;
  // The distiller's names for the fields fairseq's config has under other names, with DistillerConfig's defaults.
  const model: Record<string, unknown> = {
    extractor_mode: raw.extractor_mode ?? 'default',
    conv_feature_layers: raw.extractor_conv_feature_layers ?? '[(512,10,5)] + [(512,3,2)] * 4 + [(512,2,2)] * 2',
    conv_bias: false,
    encoder_embed_dim: raw.encoder_embed_dim ?? 768,
    encoder_layers: raw.encoder_layers ?? 1,
    encoder_attention_heads: raw.encoder_attention_heads ?? 12,
    encoder_ffn_embed_dim: raw.encoder_ffn_embed_dim ?? 3072,
    activation_fn: raw.activation_fn ?? 'gelu',
    layer_norm_first: raw.layer_norm_first ?? false,
    conv_pos: raw.conv_pos ?? 128,
    conv_pos_groups: raw.conv_pos_groups ?? 16,
    dropout: raw.dropout ?? 0.1,
    attention_dropout: raw.attention_dropout ?? 0.1,
    activation_dropout: raw.activation_dropout ?? 0.1,
  };
  const config = fairseqEncoderConfig(model, file, 'Config.distiller', false);
  const state = asState(root.Distiller, file, 'Distiller');
  const map = (name: string): NameMapping => {
    const head = S3PRL_HEADS.find((h) => name.startsWith(`${h}.`));
    return head ? { drop: head } : { native: name };
  };
  const { tensors, dropped } = mapState(state, file, map);
  const convWidth = config.convLayers[config.convLayers.length - 1].channels;
  return {
    format: 's3prl',
    description: `s3prl distiller (${config.layers} layers of ${config.dim})`,
    file,
    config,
    normalize: null,
    tensors,
    dropped,
    sourceName: (n) => n,
    identityProjection: convWidth === config.dim && !tensors.has('post_extract_proj.weight'),
  };
}
