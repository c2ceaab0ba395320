import * as tf from '@tensorflow/tfjs-core';
import type { Fields } from '../util/fields.ts';
import { Module } from '../nn/module.ts';
import { ModuleList } from '../nn/module-list.ts';
import { Conv1d } from '../nn/conv1d.ts';
import { GroupNorm } from '../nn/group-norm.ts';
import { LayerNorm } from '../nn/layer-norm.ts';
import { activate, type Activation } from '../nn/gelu.ts';
import { Rng } from '../util/rng.ts';
import { Container } from '../nn/container.ts';

export interface ConvLayerSpec {
  channels: number;
  kernel: number;
  stride: number;
  /** Zero padding on each side (default 0, as fairseq's waveform stack). */
  padding?: number;
}

export interface ConvStackOptions {
  inChannels: number;
  layers: ConvLayerSpec[];
  /**
   * `group0`: group norm with one group per channel on layer 0 only (fairseq extractor mode "default",
   * HuBERT/wav2vec 2.0 base); `layer`: LayerNorm over channels after every convolution (fairseq
   * "layer_norm" mode); `none`.
   */
  norm?: 'group0' | 'layer' | 'none';
  activation?: Activation;
  bias?: boolean;
  rng?: Rng;
}

/** HuBERT / wav2vec 2.0 waveform encoder: 7 layers, 512 channels, total stride 320 (20 ms at 16 kHz). */
export const HUBERT_CONV_LAYERS: ConvLayerSpec[] = [
  { channels: 512, kernel: 10, stride: 5 },
  ...[3, 3, 3, 3].map((kernel) => ({ channels: 512, kernel, stride: 2 })),
  ...[2, 2].map((kernel) => ({ channels: 512, kernel, stride: 2 })),
];

/** CPC's waveform encoder (van den Oord et al. 2018): strides 5,4,2,2,2 = 160 (10 ms at 16 kHz). */
export const CPC_CONV_LAYERS: ConvLayerSpec[] = [
  { channels: 512, kernel: 10, stride: 5, padding: 3 },
  { channels: 512, kernel: 8, stride: 4, padding: 2 },
  { channels: 512, kernel: 4, stride: 2, padding: 1 },
  { channels: 512, kernel: 4, stride: 2, padding: 1 },
  { channels: 512, kernel: 4, stride: 2, padding: 1 },
];

/**
 * A stack of strided 1-D convolutions, each followed by its norm and activation, over channels-last
 * sequences [B, T, C]. Names follow fairseq's ConvFeatureExtractionModel: `conv_layers.{i}.0` is the
 * convolution and `conv_layers.{i}.2` the norm (`.1` was a dropout there).
 */
export class ConvStack extends Module {
  readonly convs: Conv1d[] = [];
  readonly norms: (GroupNorm | LayerNorm | null)[] = [];
  readonly outChannels: number;

  constructor(readonly opts: ConvStackOptions) {
    super();
    if (opts.layers.length === 0) throw new Error('ConvStack: at least one layer is needed');
    const rng = opts.rng ?? new Rng(0);
    const list = this.child('conv_layers', new ModuleList());
    let cin = opts.inChannels;
    for (const [i, l] of opts.layers.entries()) {
      const layer = list.add(new Container());
      // fairseq initialises these convolutions with kaiming_normal_ (std = sqrt(2 / fan_in)).
      this.convs.push(layer.register('0', new Conv1d(cin, l.channels, l.kernel, { stride: l.stride, padding: l.padding ?? 0, bias: opts.bias ?? false, init: { normalStd: Math.sqrt(2 / (cin * l.kernel)) }, rng })));
      const norm = opts.norm ?? 'group0';
      if (norm === 'group0' && i === 0) this.norms.push(layer.register('2', new GroupNorm(l.channels, l.channels)));
      else if (norm === 'layer') this.norms.push(layer.register('2', new LayerNorm(l.channels)));
      else this.norms.push(null);
      cin = l.channels;
    }
    this.outChannels = cin;
  }

  outputLength(length: number): number {
    return this.convs.reduce((len, c) => c.outputLength(len), length);
  }

  forward(x: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => {
      let h: tf.Tensor3D = x;
      for (let i = 0; i < this.convs.length; i++) {
        h = this.convs[i].forward(h);
        const n = this.norms[i];
        if (n) h = n.forward(h) as tf.Tensor3D;
        h = activate(h, this.opts.activation ?? 'gelu') as tf.Tensor3D;
      }
      return h;
    });
  }
}

/** A list of `{channels, kernel, stride[, padding]}` from a config (`def` when absent). */
export function readConvLayers(f: Fields, name: string, def: ConvLayerSpec[]): ConvLayerSpec[] {
  return f.objectList(name, def, (o) => {
    const required = (n: string) => (o.has(n) ? o.int(n, 0, { min: 1 }) : o.fail(n, 'expected an integer >= 1, got nothing'));
    const spec: ConvLayerSpec = { channels: required('channels'), kernel: required('kernel'), stride: required('stride') };
    if (o.has('padding')) spec.padding = o.int('padding', 0, { min: 0 });
    return spec;
  });
}
