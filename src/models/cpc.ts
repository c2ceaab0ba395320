import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../nn/module.ts';
import { Linear } from '../nn/linear.ts';
import { GRU } from '../nn/gru.ts';
import { LSTM } from '../nn/lstm.ts';
import type { Recurrent } from '../nn/recurrent.ts';
import { uniform } from '../nn/init.ts';
import type { Activation } from '../nn/gelu.ts';
import { Rng } from '../util/rng.ts';
import type { Fields } from '../util/fields.ts';
import { CPC_CONV_LAYERS, ConvStack, readConvLayers, type ConvLayerSpec } from './conv-stack.ts';
import type { EncoderDefinition } from './encoder-definition.ts';
import { applyFrameMask, downsamplePaddingMask } from './masks.ts';
import type { Encoder, EncoderForwardOptions, EncoderInput, EncoderOutput, LocalFeatures } from './encoder.ts';

export interface CpcConfig {
  kind: 'cpc';
  /** `waveform` [B, S] through `convLayers` (CPC's stack: stride 160 -> 100 Hz); `logmel` [B, T, inputDim] through `convLayers`; `linear`: frames projected to `featureDim`. */
  frontend: 'waveform' | 'logmel' | 'linear';
  inputDim: number;
  convLayers: ConvLayerSpec[];
  convNorm: 'group0' | 'layer' | 'none';
  convActivation: Activation;
  /** Width of the local features z for the `linear` frontend (the conv stack's channels otherwise). */
  featureDim: number;
  /** Width of the context vectors c (recurrent hidden size). */
  dim: number;
  layers: number;
  rnn: 'gru' | 'lstm';
}

export const CPC_DEFAULTS: CpcConfig = {
  kind: 'cpc', frontend: 'waveform', inputDim: 1, convLayers: CPC_CONV_LAYERS, convNorm: 'layer', convActivation: 'relu', featureDim: 512, dim: 256, layers: 1, rnn: 'gru',
};

/**
 * Contrastive Predictive Coding encoder (van den Oord et al. 2018): a strided convolutional encoder
 * z_t = g_enc(x) and an autoregressive context c_t = g_ar(z_<=t) (GRU or LSTM), meeting the Encoder
 * contract: `features` gives z ([B, T, featureDim]), `context` gives c, `hidden[i]` the output of
 * recurrent layer i (hidden[0] = z). Names: `feature_extractor.*` (or `post_extract_proj`), `mask_emb`,
 * `context.weight_ih_l0`... (PyTorch GRU/LSTM names, weights transposed).
 */
export class CpcEncoder extends Module implements Encoder {
  readonly kind = 'cpc';
  readonly outputDim: number;

  get input(): EncoderInput {
    return this.config.frontend === 'waveform' ? { kind: 'waveform' } : { kind: 'frames', dim: this.config.inputDim };
  }
  readonly featureDim: number;
  readonly numLayers: number;
  readonly frontend: ConvStack | null;
  readonly projection: Linear | null;
  readonly maskEmbedding: tf.Variable;
  readonly rnn: Recurrent;

  constructor(readonly config: CpcConfig, rng: Rng = new Rng(0)) {
    super();
    const c = config;
    this.outputDim = c.dim;
    this.numLayers = c.layers;
    if (c.frontend === 'linear') {
      this.frontend = null;
      this.projection = this.child('post_extract_proj', new Linear(c.inputDim, c.featureDim, { rng: rng.fork() }));
      this.featureDim = c.featureDim;
    } else {
      const stack = new ConvStack({ inChannels: c.frontend === 'waveform' ? 1 : c.inputDim, layers: c.convLayers, norm: c.convNorm, activation: c.convActivation, bias: true, rng: rng.fork() });
      this.frontend = this.child('feature_extractor', stack);
      this.projection = null;
      this.featureDim = stack.outChannels;
    }
    const maskRng = rng.fork();
    this.maskEmbedding = this.param('mask_emb', tf.tidy(() => tf.div(tf.add(uniform(maskRng, [this.featureDim], 1), 1), 2)));
    const opts = { numLayers: c.layers, rng: rng.fork() };
    this.rnn = this.child('context', c.rnn === 'lstm' ? new LSTM(this.featureDim, c.dim, opts) : new GRU(this.featureDim, c.dim, opts));
  }

  outputLength(inputLength: number): number {
    return this.frontend ? this.frontend.outputLength(inputLength) : inputLength;
  }

  features(x: tf.Tensor, opts: EncoderForwardOptions = {}): LocalFeatures {
    const c = this.config;
    if (c.frontend === 'waveform' ? x.rank !== 2 : x.rank !== 3 || x.shape[2] !== c.inputDim) {
      throw new Error(`cpc (${c.frontend}): expected input [B, ${c.frontend === 'waveform' ? 'samples' : `T, ${c.inputDim}`}], got [${x.shape}]`);
    }
    const paddingMask = opts.paddingMask ? downsamplePaddingMask(opts.paddingMask, x.shape[1] as number, (n) => this.outputLength(n)) : undefined;
    const inputMask = opts.paddingMask;
    const features = tf.tidy(() => {
      let h: tf.Tensor3D = c.frontend === 'waveform' ? (tf.expandDims(x, 2) as tf.Tensor3D) : (x as tf.Tensor3D);
      if (inputMask) h = tf.mul(h, tf.expandDims(tf.sub(1, tf.cast(inputMask, 'float32')), 2)) as tf.Tensor3D;
      return this.frontend ? this.frontend.forward(h) : (this.projection as Linear).forward(h) as tf.Tensor3D;
    });
    return paddingMask ? { features, paddingMask } : { features };
  }

  context(local: LocalFeatures, opts: EncoderForwardOptions = {}): EncoderOutput {
    const stop = Math.min(opts.maxLayer ?? this.numLayers, this.numLayers);
    const z = opts.frameMask ? applyFrameMask(local.features, opts.frameMask, this.maskEmbedding) : local.features;
    if (stop === 0) return { features: local.features, paddingMask: local.paddingMask, output: z, hidden: [z] };
    const { layers } = this.rnn.forward(z, local.paddingMask);
    for (const extra of layers.slice(stop)) extra.dispose();
    const kept = layers.slice(0, stop);
    return { features: local.features, paddingMask: local.paddingMask, output: kept[kept.length - 1], hidden: [z, ...kept] };
  }

  forward(x: tf.Tensor, opts: EncoderForwardOptions = {}): EncoderOutput {
    return this.context(this.features(x, opts), opts);
  }
}

export function readCpcConfig(f: Fields): CpcConfig {
  const d = CPC_DEFAULTS;
  return {
    kind: 'cpc',
    frontend: f.choice('frontend', ['waveform', 'logmel', 'linear'] as const, d.frontend),
    inputDim: f.int('inputDim', d.inputDim, { min: 1 }),
    convLayers: readConvLayers(f, 'convLayers', d.convLayers),
    convNorm: f.choice('convNorm', ['group0', 'layer', 'none'] as const, d.convNorm),
    convActivation: f.choice('convActivation', ['gelu', 'relu', 'tanh', 'identity'] as const, d.convActivation),
    featureDim: f.int('featureDim', d.featureDim, { min: 1 }),
    dim: f.int('dim', d.dim, { min: 1 }),
    layers: f.int('layers', d.layers, { min: 1 }),
    rnn: f.choice('rnn', ['gru', 'lstm'] as const, d.rnn),
  };
}

export const cpcDefinition: EncoderDefinition<CpcConfig> = {
  readConfig: (f) => readCpcConfig(f),
  create: (config, rng) => new CpcEncoder(config, rng),
};
