import type * as tf from '@tensorflow/tfjs-core';
import type { Module } from '../nn/module.ts';
import { GraphBuilder } from './graph.ts';

/**
 * State shared by the layer exporters while one model is turned into a graph: the graph, and the
 * mapping from the model's variables and modules to their dotted names. Weights enter the graph as
 * initialisers named exactly as in the checkpoint and holding exactly its values; layout changes
 * (transposes, gate reordering) are nodes on top of them, which onnxruntime folds when it loads the file.
 */

/** A sequence flowing between exported layers: [B, T, dim] float, with frames per utterance when padded. */
export interface Seq {
  x: string;
  dim: number;
  /** [B] int64 valid frames per utterance; absent when every frame is valid. */
  lengths?: string;
}

/** An export failure caused by the model (a layer without an exporter, an option ONNX cannot express). */
export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportError';
  }
}

export class ExportContext {
  readonly g: GraphBuilder;
  private readonly paramNames = new Map<tf.Variable, string>();
  private readonly modulePaths = new Map<Module, string>();
  private readonly added = new Map<tf.Variable, string>();

  constructor(readonly root: Module, graphName = 'encoder') {
    this.g = new GraphBuilder(graphName);
    for (const [name, v] of root.namedParameters()) this.paramNames.set(v, name);
    const walk = (m: Module, path: string) => {
      this.modulePaths.set(m, path);
      for (const [n, c] of m.namedChildren()) walk(c, path ? `${path}.${n}` : n);
    };
    walk(root, '');
  }

  /** The dotted path of a module inside the exported model (`''` for the root). */
  pathOf(m: Module): string {
    const p = this.modulePaths.get(m);
    if (p === undefined) throw new ExportError(`a ${m.constructor.name} reached the exporter that is not a child of the exported model`);
    return p;
  }

  /** A printable description: `layers.3.attn (MultiHeadAttention)`. */
  describe(m: Module): string {
    const p = this.modulePaths.get(m);
    return `${p === undefined ? '(detached)' : p === '' ? '(root)' : p} (${m.constructor.name})`;
  }

  /** The initialiser holding variable `v` (added on first use), named as in the checkpoint. */
  weight(v: tf.Variable): string {
    const known = this.added.get(v);
    if (known) return known;
    const name = this.paramNames.get(v);
    if (name === undefined) throw new ExportError(`a variable of shape [${v.shape}] is not a parameter of the exported model`);
    if (v.dtype !== 'float32') throw new ExportError(`parameter "${name}" is ${v.dtype}; only float32 parameters are exported`);
    const added = this.g.initializer(name, v.dataSync() as Float32Array, v.shape.slice());
    if (added !== name) throw new ExportError(`parameter name "${name}" collides with a graph value`);
    this.added.set(v, added);
    return added;
  }

  /** Names of the parameters written so far (to check that an export used every weight). */
  writtenParameters(): string[] {
    return [...this.added.values()];
  }
}
