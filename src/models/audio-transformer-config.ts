import type { Fields } from '../util/fields.ts';
import { HUBERT_CONV_LAYERS, readConvLayers, type ConvLayerSpec } from './conv-stack.ts';
import { readPreset, readProbability } from './encoder-definition.ts';

/**
 * Configuration of the audio transformer encoder (HuBERT / wav2vec 2.0 shape). Defaults live here
 * and in the presets only; `buildEncoder` validates a JSON config against these types.
 */
export interface PosConvConfig {
  kernelSize: number;
  groups: number;
  weightNorm: boolean;
}

export interface AudioTransformerConfig {
  kind: 'audio-transformer';
  /**
   * `logmel`: [B, T, inputDim] filterbank frames at 100 Hz, subsampled by `convLayers` (stride 2 -> 50 Hz);
   * `waveform`: [B, S] samples at 16 kHz through `convLayers` (HuBERT's stack: stride 320 -> 50 Hz);
   * `linear`: [B, T, inputDim] frames projected as they are (no subsampling).
   */
  frontend: 'logmel' | 'waveform' | 'linear';
  /** Feature dimension of the input frames (mel bins); ignored for `waveform`. */
  inputDim: number;
  convLayers: ConvLayerSpec[];
  /** Norm of the waveform stack (see ConvStack); the log-mel subsampler has none. */
  convNorm: 'group0' | 'layer' | 'none';
  /** LayerNorm over the local features before the projection (fairseq `layer_norm`). */
  featureNorm: boolean;
  dim: number;
  layers: number;
  heads: number;
  ffnDim: number;
  /** Pre-LN blocks (true) or post-LN as fairseq HuBERT base (false). */
  normFirst: boolean;
  dropout: number;
  attentionDropout: number;
  activationDropout: number;
  /** Dropout on the projected features before masking (fairseq `dropout_input`). */
  inputDropout: number;
  /** Convolutional positional embedding, or null for none. */
  posConv: PosConvConfig | null;
}

const LOGMEL_SUBSAMPLER = (channels: number): ConvLayerSpec[] => [
  { channels, kernel: 3, stride: 2, padding: 1 },
  { channels, kernel: 3, stride: 1, padding: 1 },
];

const COMMON = { kind: 'audio-transformer', normFirst: true, dropout: 0.1, attentionDropout: 0.1, activationDropout: 0, inputDropout: 0.1 } as const;

export const AUDIO_TRANSFORMER_PRESETS: Record<'tiny' | 'small' | 'base', AudioTransformerConfig> = {
  tiny: {
    ...COMMON, frontend: 'logmel', inputDim: 80, convLayers: LOGMEL_SUBSAMPLER(256), convNorm: 'none', featureNorm: true,
    dim: 256, layers: 4, heads: 4, ffnDim: 1024, posConv: { kernelSize: 32, groups: 8, weightNorm: true },
  },
  small: {
    ...COMMON, frontend: 'logmel', inputDim: 80, convLayers: LOGMEL_SUBSAMPLER(512), convNorm: 'none', featureNorm: true,
    dim: 512, layers: 8, heads: 8, ffnDim: 2048, posConv: { kernelSize: 64, groups: 16, weightNorm: true },
  },
  /** fairseq HuBERT base: waveform stack, 12 post-LN layers of 768 with 12 heads and 3072 FFN, pos conv 128/16. */
  base: {
    ...COMMON, frontend: 'waveform', inputDim: 1, convLayers: HUBERT_CONV_LAYERS, convNorm: 'group0', featureNorm: true,
    dim: 768, layers: 12, heads: 12, ffnDim: 3072, normFirst: false, inputDropout: 0.1, posConv: { kernelSize: 128, groups: 16, weightNorm: true },
  },
};

/** The config of a model file or run config: a preset (`tiny` when absent) with any field overridden. */
export function readAudioTransformerConfig(f: Fields): AudioTransformerConfig {
  const base = readPreset(f, AUDIO_TRANSFORMER_PRESETS);
  const c: AudioTransformerConfig = {
    kind: 'audio-transformer',
    frontend: f.choice('frontend', ['logmel', 'waveform', 'linear'] as const, base.frontend),
    inputDim: f.int('inputDim', base.inputDim, { min: 1 }),
    convLayers: readConvLayers(f, 'convLayers', base.convLayers),
    convNorm: f.choice('convNorm', ['group0', 'layer', 'none'] as const, base.convNorm),
    featureNorm: f.bool('featureNorm', base.featureNorm),
    dim: f.int('dim', base.dim, { min: 1 }),
    layers: f.int('layers', base.layers, { min: 0 }),
    heads: f.int('heads', base.heads, { min: 1 }),
    ffnDim: f.int('ffnDim', base.ffnDim, { min: 1 }),
    normFirst: f.bool('normFirst', base.normFirst),
    dropout: readProbability(f, 'dropout', base.dropout),
    attentionDropout: readProbability(f, 'attentionDropout', base.attentionDropout),
    activationDropout: readProbability(f, 'activationDropout', base.activationDropout),
    inputDropout: readProbability(f, 'inputDropout', base.inputDropout),
    posConv: readPosConv(f, base.posConv),
  };
  if (c.dim % c.heads !== 0) f.fail('heads', `must divide dim (${c.dim}), got ${c.heads}`);
  if (c.posConv && c.dim % c.posConv.groups !== 0) f.object('posConv').fail('groups', `must divide dim (${c.dim}), got ${c.posConv.groups}`);
  return c;
}

/** `posConv`: null for none, an object overriding the preset's (or the HuBERT base) values. */
function readPosConv(f: Fields, base: PosConvConfig | null): PosConvConfig | null {
  if (f.has('posConv') && f.raw('posConv') === null) return null;
  if (!f.has('posConv')) return base;
  const d = base ?? { kernelSize: 128, groups: 16, weightNorm: true };
  const p = f.object('posConv');
  const c = { kernelSize: p.int('kernelSize', d.kernelSize, { min: 1 }), groups: p.int('groups', d.groups, { min: 1 }), weightNorm: p.bool('weightNorm', d.weightNorm) };
  p.done();
  return c;
}
