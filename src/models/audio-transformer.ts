import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../nn/module.ts';
import { ModuleList } from '../nn/module-list.ts';
import { Linear } from '../nn/linear.ts';
import { LayerNorm } from '../nn/layer-norm.ts';
import { TransformerBlock } from '../nn/transformer-block.ts';
import { ConvPositionalEmbedding } from '../nn/pos-conv.ts';
import { dropout } from '../nn/dropout.ts';
import { uniform } from '../nn/init.ts';
import { Container } from '../nn/container.ts';
import { Rng } from '../util/rng.ts';
import { ConvStack } from './conv-stack.ts';
import { applyFrameMask, downsamplePaddingMask } from './masks.ts';
import { readAudioTransformerConfig, type AudioTransformerConfig } from './audio-transformer-config.ts';
import type { EncoderDefinition } from './encoder-definition.ts';
import type { Encoder, EncoderForwardOptions, EncoderInput, EncoderOutput, LocalFeatures } from './encoder.ts';

/**
 * Transformer encoder for audio in the shape of HuBERT / wav2vec 2.0 (Hsu et al. 2021; Baevski et al.
 * 2020): local features (waveform conv stack or log-mel conv subsampler, or a plain projection of the
 * frames), LayerNorm and projection to the model width, optional masking with a learned vector,
 * convolutional positional embedding, transformer blocks. Parameter names follow fairseq's HubertModel:
 * `feature_extractor.conv_layers.*`, `layer_norm`, `post_extract_proj`, `mask_emb`, `encoder.pos_conv.0`,
 * `encoder.layers.{i}.*`, `encoder.layer_norm` (the log-mel subsampler is `subsampler.conv_layers.*`).
 */
export class AudioTransformerEncoder extends Module implements Encoder {
  readonly kind = 'audio-transformer';
  readonly outputDim: number;

  get input(): EncoderInput {
    return this.config.frontend === 'waveform' ? { kind: 'waveform' } : { kind: 'frames', dim: this.config.inputDim };
  }
  readonly numLayers: number;
  readonly frontend: ConvStack | null;
  readonly featureNorm: LayerNorm | null;
  readonly projection: Linear;
  readonly maskEmbedding: tf.Variable;
  readonly posConv: ConvPositionalEmbedding | null;
  readonly blocks: TransformerBlock[] = [];
  readonly encoderNorm: LayerNorm;
  private readonly dropoutRng: Rng;

  constructor(readonly config: AudioTransformerConfig, rng: Rng = new Rng(0)) {
    super();
    const c = config;
    this.outputDim = c.dim;
    this.numLayers = c.layers;
    let featureDim = c.inputDim;
    this.frontend = null;
    if (c.frontend !== 'linear') {
      const stack = new ConvStack({
        inChannels: c.frontend === 'waveform' ? 1 : c.inputDim,
        layers: c.convLayers,
        norm: c.frontend === 'waveform' ? c.convNorm : 'none',
        bias: c.frontend !== 'waveform',
        rng: rng.fork(),
      });
      this.frontend = this.child(c.frontend === 'waveform' ? 'feature_extractor' : 'subsampler', stack);
      featureDim = stack.outChannels;
    }
    this.featureNorm = c.featureNorm ? this.child('layer_norm', new LayerNorm(featureDim)) : null;
    this.projection = this.child('post_extract_proj', new Linear(featureDim, c.dim, { rng: rng.fork() }));
    // fairseq: mask_emb = FloatTensor(dim).uniform_(), i.e. U(0, 1).
    const maskRng = rng.fork();
    this.maskEmbedding = this.param('mask_emb', tf.tidy(() => tf.div(tf.add(uniform(maskRng, [c.dim], 1), 1), 2)));
    const encoder = this.child('encoder', new Container());
    this.posConv = c.posConv ? encoder.register('pos_conv', new ConvPositionalEmbedding(c.dim, { ...c.posConv, rng: rng.fork() })) : null;
    const layers = encoder.register('layers', new ModuleList());
    for (let i = 0; i < c.layers; i++) {
      this.blocks.push(
        layers.add(
          new TransformerBlock({
            dim: c.dim, heads: c.heads, ffnDim: c.ffnDim, normFirst: c.normFirst, dropout: c.dropout, attentionDropout: c.attentionDropout,
            activationDropout: c.activationDropout, init: { normalStd: 0.02 }, biasValue: 0, rng: rng.fork(),
          }),
        ),
      );
    }
    this.encoderNorm = encoder.register('layer_norm', new LayerNorm(c.dim));
    this.dropoutRng = rng.fork();
  }

  outputLength(inputLength: number): number {
    return this.frontend ? this.frontend.outputLength(inputLength) : inputLength;
  }

  private drop(x: tf.Tensor, p: number): tf.Tensor {
    return this.training && p > 0 ? dropout(x, p, this.dropoutRng) : x;
  }

  features(x: tf.Tensor, opts: EncoderForwardOptions = {}): LocalFeatures {
    const c = this.config;
    if (c.frontend === 'waveform' ? x.rank !== 2 : x.rank !== 3) {
      throw new Error(`audio-transformer (${c.frontend}): expected input [B, ${c.frontend === 'waveform' ? 'samples' : `T, ${c.inputDim}`}], got [${x.shape}]`);
    }
    if (c.frontend !== 'waveform' && x.shape[2] !== c.inputDim) throw new Error(`audio-transformer: input has ${x.shape[2]} features per frame, config inputDim is ${c.inputDim}`);
    const paddingMask = opts.paddingMask ? downsamplePaddingMask(opts.paddingMask, x.shape[1] as number, (n) => this.outputLength(n)) : undefined;
    const inputMask = opts.paddingMask;
    const { features, extracted } = tf.tidy(() => {
      let h: tf.Tensor3D = c.frontend === 'waveform' ? (tf.expandDims(x, 2) as tf.Tensor3D) : (x as tf.Tensor3D);
      // Padded input is zeroed so that real frames near the end see the zeros a shorter input would.
      if (inputMask) h = tf.mul(h, tf.expandDims(tf.sub(1, tf.cast(inputMask, 'float32')), 2)) as tf.Tensor3D;
      let conv: tf.Tensor3D | undefined;
      if (this.frontend) h = conv = this.frontend.forward(h);
      if (this.featureNorm) h = this.featureNorm.forward(h) as tf.Tensor3D;
      const projected = this.drop(this.projection.forward(h), c.inputDropout) as tf.Tensor3D;
      return conv ? { features: projected, extracted: conv } : { features: projected };
    }) as { features: tf.Tensor3D; extracted?: tf.Tensor3D };
    return { features, ...(extracted ? { extracted } : {}), ...(paddingMask ? { paddingMask } : {}) };
  }

  context(local: LocalFeatures, opts: EncoderForwardOptions = {}): EncoderOutput {
    const c = this.config;
    const stop = Math.min(opts.maxLayer ?? c.layers, c.layers);
    if (!(stop >= 0)) throw new Error(`audio-transformer: maxLayer must be >= 0, got ${opts.maxLayer}`);
    const mask = local.paddingMask;
    const hidden: tf.Tensor3D[] = [];
    let h = tf.tidy(() => {
      let x: tf.Tensor3D = opts.frameMask ? applyFrameMask(local.features, opts.frameMask, this.maskEmbedding) : local.features;
      if (this.posConv) {
        const pos = this.posConv;
        x = tf.tidy(() => {
          const src = mask ? tf.mul(x, tf.expandDims(tf.sub(1, mask), 2)) : x;
          return tf.add(x, pos.forward(src as tf.Tensor3D)) as tf.Tensor3D;
        });
      }
      if (!c.normFirst) x = this.encoderNorm.forward(x) as tf.Tensor3D;
      return this.drop(x, c.dropout) as tf.Tensor3D;
    });
    hidden.push(h);
    for (let i = 0; i < stop; i++) {
      h = this.blocks[i].forward(h, mask);
      hidden.push(h);
    }
    const output = c.normFirst ? (this.encoderNorm.forward(h) as tf.Tensor3D) : h;
    return { features: local.features, paddingMask: local.paddingMask, output, hidden };
  }

  forward(x: tf.Tensor, opts: EncoderForwardOptions = {}): EncoderOutput {
    return this.context(this.features(x, opts), opts);
  }
}

export const audioTransformerDefinition: EncoderDefinition<AudioTransformerConfig> = {
  readConfig: (f) => readAudioTransformerConfig(f),
  create: (config, rng) => new AudioTransformerEncoder(config, rng),
};
