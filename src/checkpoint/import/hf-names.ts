/**
 * Hugging Face's names for the modules of HubertModel / Wav2Vec2Model against ours (fairseq's). torchaudio's
 * Wav2Vec2Model uses the same module names under other prefixes (see torchaudio.ts). `{i}` is a layer
 * index, `{p}` weight or bias. The weight-normalised positional convolution comes as `weight_g` /
 * `weight_v` (torch.nn.utils.weight_norm) or `parametrizations.weight.original0` / `original1`
 * (torch.nn.utils.parametrizations.weight_norm, transformers >= 4.31 on recent PyTorch).
 */
const RULES: ReadonlyArray<readonly [hf: string, native: string]> = [
  ['feature_extractor.conv_layers.{i}.conv.{p}', 'feature_extractor.conv_layers.{i}.0.{p}'],
  ['feature_extractor.conv_layers.{i}.layer_norm.{p}', 'feature_extractor.conv_layers.{i}.2.{p}'],
  ['feature_projection.layer_norm.{p}', 'layer_norm.{p}'],
  ['feature_projection.projection.{p}', 'post_extract_proj.{p}'],
  ['encoder.pos_conv_embed.conv.weight_g', 'encoder.pos_conv.0.weight_g'],
  ['encoder.pos_conv_embed.conv.weight_v', 'encoder.pos_conv.0.weight_v'],
  ['encoder.pos_conv_embed.conv.parametrizations.weight.original0', 'encoder.pos_conv.0.weight_g'],
  ['encoder.pos_conv_embed.conv.parametrizations.weight.original1', 'encoder.pos_conv.0.weight_v'],
  ['encoder.pos_conv_embed.conv.bias', 'encoder.pos_conv.0.bias'],
  ['encoder.layer_norm.{p}', 'encoder.layer_norm.{p}'],
  ['encoder.layers.{i}.attention.q_proj.{p}', 'encoder.layers.{i}.self_attn.q_proj.{p}'],
  ['encoder.layers.{i}.attention.k_proj.{p}', 'encoder.layers.{i}.self_attn.k_proj.{p}'],
  ['encoder.layers.{i}.attention.v_proj.{p}', 'encoder.layers.{i}.self_attn.v_proj.{p}'],
  ['encoder.layers.{i}.attention.out_proj.{p}', 'encoder.layers.{i}.self_attn.out_proj.{p}'],
  ['encoder.layers.{i}.layer_norm.{p}', 'encoder.layers.{i}.self_attn_layer_norm.{p}'],
  ['encoder.layers.{i}.feed_forward.intermediate_dense.{p}', 'encoder.layers.{i}.fc1.{p}'],
  ['encoder.layers.{i}.feed_forward.output_dense.{p}', 'encoder.layers.{i}.fc2.{p}'],
  ['encoder.layers.{i}.final_layer_norm.{p}', 'encoder.layers.{i}.final_layer_norm.{p}'],
  ['masked_spec_embed', 'mask_emb'],
];

interface Compiled {
  re: RegExp;
  slots: string[];
  target: string;
}

function compile(from: string, to: string): Compiled {
  const slots: string[] = [];
  const pattern = from
    .split(/(\{[ip]\})/)
    .map((part) => {
      if (part === '{i}') return slots.push('i'), '(\\d+)';
      if (part === '{p}') return slots.push('p'), '(weight|bias)';
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return { re: new RegExp(`^${pattern}$`), slots, target: to };
}

function apply(rules: Compiled[], name: string): string | undefined {
  for (const r of rules) {
    const m = r.re.exec(name);
    if (!m) continue;
    let out = r.target;
    r.slots.forEach((slot, k) => (out = out.replace(`{${slot}}`, m[k + 1])));
    return out;
  }
  return undefined;
}

const TO_NATIVE = RULES.map(([hf, native]) => compile(hf, native));
// The way out writes weight_g / weight_v (what both transformers and torchaudio 0.13 load).
const TO_HF = RULES.filter(([hf]) => !hf.includes('parametrizations')).map(([hf, native]) => compile(native, hf));

/** Our name for a Hugging Face encoder tensor name (no model prefix), or undefined when it is none of the encoder's. */
export function nativeNameOfHf(name: string): string | undefined {
  return apply(TO_NATIVE, name);
}

/** Hugging Face's name (no model prefix) of one of our encoder parameters. */
export function hfNameOfNative(name: string): string {
  const n = apply(TO_HF, name);
  if (n === undefined) throw new Error(`no Hugging Face name for parameter "${name}"`);
  return n;
}
