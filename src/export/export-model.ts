import type { Encoder, EncoderInput } from '../models/encoder.ts';
import { InputError } from '../util/errors.ts';
import { ExportContext, ExportError, type Seq } from './export-context.ts';
import { frontendGeometry, frontendGraph, type FrontendConfig, type FrontendPrecision } from './frontend.ts';
import { fullLengths, lengthsFromPaddingMask } from './masks.ts';
import { encodeModel, modelProto } from '../util/onnx-proto.ts';
import { DataType } from '../util/onnx-schema.ts';
import { exportEncoderGraph, type EncoderGraph } from './registry.ts';
import './layers/index.ts';
import './encoders/index.ts';

/**
 * An encoder as a deployable ONNX model:
 *   inputs   `features` [batch, time, dim] (or `waveform` [batch, samples]), `padding_mask` [batch, time|samples]
 *            float, 1 = padding (unless exported without it)
 *   outputs  `hidden` [batch, frames, dim] (the last layer run), `hidden_<i>` for each selected hidden state
 *            (0 = input to the first context layer), `lengths` [batch] int64 frames per utterance
 * With a frontend, the model takes a waveform and computes the features itself. Image encoders take
 * `images` [batch, height, width, channels] (NHWC, as the tfjs models) and have no padding mask.
 * metadata_props describe the input, frontend, frame rate and outputs so a runner needs nothing else.
 */

/** `last` = only `hidden`; `all` = every hidden state; numbers = those hidden states (0..numLayers). */
export type LayerSelection = 'last' | 'all' | number[];

/** Parses `--layers all|last|N,M`, checking the indices against the encoder's layer count. */
export function parseLayerSelection(spec: string, numLayers: number): LayerSelection {
  if (spec === 'last' || spec === 'all') return spec;
  const parts = spec.split(',').map((s) => s.trim());
  const out: number[] = [];
  for (const p of parts) {
    const n = Number(p);
    if (!/^\d+$/.test(p) || n > numLayers) throw new InputError(`expected all, last or layer numbers 0..${numLayers} separated by commas, got "${spec}"`, { field: '--layers' });
    if (!out.includes(n)) out.push(n);
  }
  return out.sort((a, b) => a - b);
}

export interface ExportModelOptions {
  /** Default: what the encoder's exporter declares. */
  input: EncoderInput;
  layers: LayerSelection;
  /** Put this frontend in front of a feature encoder (the model then takes `waveform`). */
  frontend?: FrontendConfig;
  frontendPrecision: FrontendPrecision;
  /** Declare the `padding_mask` input (needed to batch utterances of different lengths). */
  paddingMask: boolean;
  /** Input sample rate (waveform encoders) or feature frame rate (feature encoders without a frontend), Hz. */
  inputRate: number;
  /** Extra metadata_props (checkpoint step, project version...). */
  metadata: Record<string, string>;
  producerVersion: string;
}

export const EXPORT_DEFAULTS: Omit<ExportModelOptions, 'input'> = {
  layers: 'last',
  frontendPrecision: 'float64',
  paddingMask: true,
  inputRate: 100,
  metadata: {},
  producerVersion: '',
};

export interface ExportedModel {
  bytes: Uint8Array;
  inputNames: string[];
  outputNames: string[];
  metadata: Record<string, string>;
  /** Parameters written as initialisers (all of the encoder's, unless some are unused by inference). */
  parameters: string[];
}

/** Builds the ONNX model of `encoder` (in eval mode; dropout and frame masking are not exported). */
export function exportEncoderModel(encoder: Encoder, options: Partial<ExportModelOptions> = {}): ExportedModel {
  const o: ExportModelOptions = { ...EXPORT_DEFAULTS, input: options.input ?? encoder.input, ...options };
  if (o.input.kind === 'image') return exportImageEncoderModel(encoder, o, o.input);
  if (o.frontend && o.input.kind !== 'frames') throw new ExportError(`--with-frontend needs an encoder that takes features; "${encoder.kind}" takes a waveform`);
  if (o.frontend && o.input.kind === 'frames' && frontendGeometry(o.frontend).dims !== o.input.dim) {
    throw new ExportError(`the frontend gives ${frontendGeometry(o.frontend).dims} dims per frame but encoder "${encoder.kind}" takes ${o.input.dim}`);
  }
  const ctx = new ExportContext(encoder);
  const g = ctx.g;
  const takesWaveform = o.input.kind === 'waveform' || o.frontend !== undefined;
  const inputName = takesWaveform ? 'waveform' : 'features';
  const timeAxis = takesWaveform ? 'samples' : 'time';
  const x = takesWaveform ? g.input(inputName, ['batch', timeAxis]) : g.input(inputName, ['batch', timeAxis, (o.input as { dim: number }).dim]);
  const inputNames = [inputName];
  let lengths: string;
  if (o.paddingMask) {
    inputNames.push(g.input('padding_mask', ['batch', timeAxis]));
    lengths = lengthsFromPaddingMask(g, 'padding_mask');
  } else {
    lengths = fullLengths(g, x);
  }
  let seq: Seq;
  if (o.frontend) {
    const fe = frontendGraph(g, x, lengths, o.frontend, o.frontendPrecision);
    seq = { x: fe.features, dim: frontendGeometry(o.frontend).dims, lengths: fe.frameLengths };
  } else if (o.input.kind === 'waveform') {
    seq = { x: g.unsqueeze(x, [2]), dim: 1, lengths };
  } else {
    seq = { x, dim: o.input.dim, lengths };
  }
  const graph = exportEncoderGraph(ctx, encoder.eval(), seq, { maxLayer: maxLayerOf(o.layers) });
  const { outputNames, layerNames } = declareOutputs(ctx, encoder, graph, o.layers);
  const outLengths = graph.output.lengths ?? fullLengths(g, graph.output.x);
  outputNames.push(g.output(outLengths, 'lengths', ['batch'], DataType.INT64));
  const sampleRate = o.frontend ? frontendGeometry(o.frontend).sampleRate : o.inputRate;
  // Frames per second: input steps per second times the encoder's downsampling, measured far from the edges.
  const stepRate = o.frontend ? sampleRate / frontendGeometry(o.frontend).hop : sampleRate;
  const probe = 2 ** 7 * 3 ** 3 * 5 ** 2 * 7;
  const frameRate = (stepRate * (encoder.outputLength(2 * probe) - encoder.outputLength(probe))) / probe;
  const metadata: Record<string, string> = {
    'speech_ssl.format': 'encoder/1',
    encoder_kind: encoder.kind,
    encoder_config: JSON.stringify(encoder.config),
    input: inputName,
    input_dim: String(o.input.kind === 'frames' && !o.frontend ? o.input.dim : 1),
    [takesWaveform ? 'sample_rate' : 'input_frame_rate']: String(sampleRate),
    frame_rate: frameRate.toPrecision(6).replace(/\.?0+$/, ''),
    frontend: o.frontend ? JSON.stringify(o.frontend) : 'none',
    padding_mask: o.paddingMask ? 'padding_mask: float, 1 = padding' : 'none',
    layer_names: JSON.stringify(layerNames),
    num_layers: String(encoder.numLayers),
    ...o.metadata,
  };
  const bytes = encodeModel(modelProto(g.build(), { metadata, producerVersion: o.producerVersion, docString: `speech-ssl ${encoder.kind} encoder` }));
  return { bytes, inputNames, outputNames, metadata, parameters: ctx.writtenParameters() };
}

function maxLayerOf(layers: LayerSelection): number | undefined {
  return Array.isArray(layers) ? Math.max(...layers) : undefined;
}

/** Declares `hidden` and/or `hidden_<i>` per the selection; returns the output names and the hidden ones (metadata `layer_names`). */
function declareOutputs(ctx: ExportContext, encoder: Encoder, graph: EncoderGraph, layers: LayerSelection): { outputNames: string[]; layerNames: string[] } {
  const g = ctx.g;
  const outputNames: string[] = [];
  const layerNames: string[] = [];
  if (layers === 'last' || layers === 'all') {
    outputNames.push(g.output(graph.output.x, 'hidden', ['batch', 'frames', graph.output.dim]));
    layerNames.push('hidden');
  }
  const selected: number[] = layers === 'all' ? graph.hidden.map((_, i) => i) : layers === 'last' ? [] : layers;
  for (const i of selected) {
    const h = graph.hidden[i];
    if (!h) throw new ExportError(`encoder "${encoder.kind}" has no hidden state ${i} (it has ${graph.hidden.length})`);
    outputNames.push(g.output(h.x, `hidden_${i}`, ['batch', 'frames', h.dim]));
    layerNames.push(`hidden_${i}`);
  }
  return { outputNames, layerNames };
}

/** An image encoder: input `images` [batch, height, width, channels] (fixed sides when the encoder needs them), no padding mask. */
function exportImageEncoderModel(encoder: Encoder, o: ExportModelOptions, input: { kind: 'image'; channels: number; size?: number }): ExportedModel {
  if (o.frontend) throw new ExportError(`--with-frontend is for audio feature encoders; "${encoder.kind}" takes images`);
  const ctx = new ExportContext(encoder);
  const g = ctx.g;
  const side = (axis: string) => input.size ?? axis;
  const x = g.input('images', ['batch', side('height'), side('width'), input.channels]);
  const graph = exportEncoderGraph(ctx, encoder.eval(), { x, dim: input.channels }, { maxLayer: maxLayerOf(o.layers) });
  const { outputNames, layerNames } = declareOutputs(ctx, encoder, graph, o.layers);
  outputNames.push(g.output(fullLengths(g, graph.output.x), 'lengths', ['batch'], DataType.INT64));
  const metadata: Record<string, string> = {
    'speech_ssl.format': 'encoder/1',
    encoder_kind: encoder.kind,
    encoder_config: JSON.stringify(encoder.config),
    input: 'images',
    input_layout: 'NHWC',
    input_dim: String(input.channels),
    image_size: input.size === undefined ? 'any' : String(input.size),
    frontend: 'none',
    padding_mask: 'none',
    layer_names: JSON.stringify(layerNames),
    num_layers: String(encoder.numLayers),
    ...o.metadata,
  };
  const bytes = encodeModel(modelProto(g.build(), { metadata, producerVersion: o.producerVersion, docString: `speech-ssl ${encoder.kind} encoder` }));
  return { bytes, inputNames: ['images'], outputNames, metadata, parameters: ctx.writtenParameters() };
}
