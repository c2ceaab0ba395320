import type { Module } from '../nn/module.ts';
import type { Encoder } from '../models/encoder.ts';
import { ExportError, type ExportContext, type Seq } from './export-context.ts';

/**
 * Exporters keyed by the class of what they export. A layer exporter maps a sequence to a sequence
 * ([B, T, D] plus frame lengths), so stacks of layers export by composition; an encoder exporter
 * composes the exporters of its children. Anything without an exporter is refused with its path and class.
 */

type Ctor<T> = abstract new (...args: never[]) => T;

export type LayerExporter<M extends Module> = (ctx: ExportContext, layer: M, input: Seq) => Seq;

export interface EncoderGraph {
  /** Output of the last layer run (after the final norm, if any). */
  output: Seq;
  /** hidden[0] = input to the first context layer, hidden[i] = after layer i (same convention as EncoderOutput). */
  hidden: Seq[];
}

export interface EncoderExportOptions {
  /** Stop after this many context layers (as EncoderForwardOptions.maxLayer). */
  maxLayer?: number;
}

export type EncoderExporter<E extends Encoder> = (ctx: ExportContext, encoder: E, input: Seq, opts: EncoderExportOptions) => EncoderGraph;

const layerExporters = new Map<Ctor<Module>, LayerExporter<Module>>();
const encoderExporters = new Map<Ctor<Encoder>, EncoderExporter<Encoder>>();

export function registerLayer<M extends Module>(ctor: Ctor<M>, exporter: LayerExporter<M>): void {
  layerExporters.set(ctor as Ctor<Module>, exporter as LayerExporter<Module>);
}

export function registerEncoder<E extends Encoder>(ctor: Ctor<E>, exporter: EncoderExporter<E>): void {
  encoderExporters.set(ctor as Ctor<Encoder>, exporter as unknown as EncoderExporter<Encoder>);
}

/** The exporter registered for the object's own class (not a base class: a subclass may compute differently). */
function lookup<T extends object, F>(table: Map<Ctor<T>, F>, obj: T): F | undefined {
  return table.get(obj.constructor as Ctor<T>);
}

/** Exports one layer; refuses a layer class without an exporter, naming the layer. */
export function exportLayer(ctx: ExportContext, layer: Module, input: Seq): Seq {
  const exporter = lookup(layerExporters, layer);
  if (!exporter) throw new ExportError(`cannot export layer ${ctx.describe(layer)}: no ONNX exporter for ${layer.constructor.name}`);
  return exporter(ctx, layer, input);
}

function encoderExporter(encoder: Encoder): EncoderExporter<Encoder> {
  const entry = lookup(encoderExporters, encoder);
  if (!entry) throw new ExportError(`cannot export encoder "${encoder.kind}" (${encoder.constructor.name}): no ONNX exporter for it`);
  return entry;
}

/** Exports an encoder through its registered exporter. */
export function exportEncoderGraph(ctx: ExportContext, encoder: Encoder, input: Seq, opts: EncoderExportOptions = {}): EncoderGraph {
  return encoderExporter(encoder)(ctx, encoder, input, opts);
}

/** Class names with exporters (for messages and docs). */
export function exportableLayers(): string[] {
  return [...layerExporters.keys()].map((c) => c.name).sort();
}

