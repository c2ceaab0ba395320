import { AttributeType, DataType, type AttributeProto, type GraphProto, type NodeProto, type TensorProto, type ValueInfoProto } from '../util/onnx-schema.ts';
import { tensorProto, type TensorData } from '../util/onnx-proto.ts';

/**
 * A small ONNX graph builder (opset 17). Values are referred to by name (`string`); each helper emits
 * one node (or a short fixed pattern) and returns the name of its output. Constants become initialisers,
 * small integer ones are shared. Names are unique: `fresh` adds a numeric suffix when needed.
 */

/** A dimension: a fixed size or a symbolic name (`batch`, `time`) for a dynamic axis. */
export type Dim = number | string;
export type AttrValue = number | string | number[] | string[] | Float32Array | { tensor: TensorProto };
/** Attribute values that must be written as floats even when integral (`epsilon: 1`). */
export class FloatAttr {
  constructor(readonly value: number | number[]) {}
}
export type Attrs = Record<string, AttrValue | FloatAttr | undefined>;

function attribute(name: string, v: AttrValue | FloatAttr): AttributeProto {
  if (v instanceof FloatAttr) {
    return Array.isArray(v.value) ? { name, type: AttributeType.FLOATS, floats: v.value } : { name, type: AttributeType.FLOAT, f: v.value };
  }
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: AttributeType.INT, i: v } : { name, type: AttributeType.FLOAT, f: v };
  if (typeof v === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(v) };
  if (v instanceof Float32Array) return { name, type: AttributeType.FLOATS, floats: Array.from(v) };
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) return { name, type: AttributeType.STRINGS, strings: (v as string[]).map((s) => new TextEncoder().encode(s)) };
    const nums = v as number[];
    return nums.every(Number.isInteger) ? { name, type: AttributeType.INTS, ints: nums } : { name, type: AttributeType.FLOATS, floats: nums };
  }
  return { name, type: AttributeType.TENSOR, t: v.tensor };
}

function valueInfo(name: string, elemType: number, shape: Dim[]): ValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly used = new Set<string>();
  private readonly intConsts = new Map<string, string>();
  private readonly floatConsts = new Map<string, string>();

  constructor(readonly name = 'main') {}

  /** A name not used yet in this graph, based on `base`. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Declares a graph input. */
  input(name: string, shape: Dim[], elemType: number = DataType.FLOAT): string {
    if (this.used.has(name)) throw new Error(`graph input "${name}": name already used`);
    this.used.add(name);
    this.inputs.push(valueInfo(name, elemType, shape));
    return name;
  }

  /** Declares `value` as a graph output named `name` (an Identity node renames it when needed). */
  output(value: string, name: string, shape: Dim[], elemType: number = DataType.FLOAT): string {
    let out = value;
    if (value !== name) {
      if (this.used.has(name)) throw new Error(`graph output "${name}": name already used`);
      this.used.add(name);
      this.nodes.push({ opType: 'Identity', input: [value], output: [name], name: `${name}_identity` });
      out = name;
    }
    this.outputs.push(valueInfo(out, elemType, shape));
    return out;
  }

  /** Adds a weight (any typed array) as an initialiser; returns its (possibly suffixed) name. */
  initializer(name: string, data: TensorData, dims: number[], dataType?: number): string {
    const unique = this.fresh(name);
    this.initializers.push(tensorProto(unique, data, dims, dataType));
    return unique;
  }

  /** An int64 constant (shared between uses); `dims` defaults to a 1-D list. */
  ints(values: readonly number[], dims: number[] = [values.length]): string {
    const key = `${dims.join('x')}:${values.join(',')}`;
    let name = this.intConsts.get(key);
    if (!name) {
      name = this.initializer('const_i64', BigInt64Array.from(values.map((v) => BigInt(v))), dims);
      this.intConsts.set(key, name);
    }
    return name;
  }

  /** A float32 constant (shared between uses when small); `dims` defaults to a scalar for one value. */
  floats(values: readonly number[] | Float32Array, dims?: number[]): string {
    const shape = dims ?? (values.length === 1 ? [] : [values.length]);
    if (values.length > 16) return this.initializer('const_f32', Float32Array.from(values), shape);
    const key = `${shape.join('x')}:${Array.from(values).join(',')}`;
    let name = this.floatConsts.get(key);
    if (!name) {
      name = this.initializer('const_f32', Float32Array.from(values), shape);
      this.floatConsts.set(key, name);
    }
    return name;
  }

  /** Emits a node; returns its output names. Empty strings in `inputs` mark omitted optional inputs. */
  node(opType: string, inputs: string[], attrs: Attrs = {}, numOutputs = 1, outNames?: string[]): string[] {
    const base = opType.charAt(0).toLowerCase() + opType.slice(1);
    const outputs = outNames ?? Array.from({ length: numOutputs }, (_, i) => this.fresh(numOutputs > 1 ? `${base}_out${i}` : base));
    if (outNames) for (const n of outNames) if (n) this.used.add(n);
    const attribute_: AttributeProto[] = [];
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) attribute_.push(attribute(k, v));
    this.nodes.push({ opType, input: inputs, output: outputs, name: this.fresh(`node_${base}`), attribute: attribute_ });
    return outputs;
  }

  /** A single-output node. */
  op(opType: string, inputs: string[], attrs: Attrs = {}): string {
    return this.node(opType, inputs, attrs)[0];
  }

  // ---- elementwise --------------------------------------------------------------------------
  add(a: string, b: string): string { return this.op('Add', [a, b]); }
  sub(a: string, b: string): string { return this.op('Sub', [a, b]); }
  mul(a: string, b: string): string { return this.op('Mul', [a, b]); }
  div(a: string, b: string): string { return this.op('Div', [a, b]); }
  pow(a: string, b: string): string { return this.op('Pow', [a, b]); }
  sqrt(x: string): string { return this.op('Sqrt', [x]); }
  erf(x: string): string { return this.op('Erf', [x]); }
  exp(x: string): string { return this.op('Exp', [x]); }
  log(x: string): string { return this.op('Log', [x]); }
  neg(x: string): string { return this.op('Neg', [x]); }
  abs(x: string): string { return this.op('Abs', [x]); }
  relu(x: string): string { return this.op('Relu', [x]); }
  sigmoid(x: string): string { return this.op('Sigmoid', [x]); }
  tanh(x: string): string { return this.op('Tanh', [x]); }
  max(a: string, b: string): string { return this.op('Max', [a, b]); }
  min(a: string, b: string): string { return this.op('Min', [a, b]); }
  not(x: string): string { return this.op('Not', [x]); }
  equal(a: string, b: string): string { return this.op('Equal', [a, b]); }
  less(a: string, b: string): string { return this.op('Less', [a, b]); }
  greater(a: string, b: string): string { return this.op('Greater', [a, b]); }
  where(cond: string, a: string, b: string): string { return this.op('Where', [cond, a, b]); }
  cast(x: string, to: number): string { return this.op('Cast', [x], { to }); }

  // ---- linear algebra ------------------------------------------------------------------------
  matMul(a: string, b: string): string { return this.op('MatMul', [a, b]); }
  /** Y = alpha * A' B' + beta * C on 2-D A and B. */
  gemm(a: string, b: string, c?: string, opts: { transA?: boolean; transB?: boolean; alpha?: number; beta?: number } = {}): string {
    return this.op('Gemm', c ? [a, b, c] : [a, b], {
      transA: opts.transA ? 1 : undefined,
      transB: opts.transB ? 1 : undefined,
      alpha: opts.alpha === undefined ? undefined : new FloatAttr(opts.alpha),
      beta: opts.beta === undefined ? undefined : new FloatAttr(opts.beta),
    });
  }

  // ---- reductions and normalisation ----------------------------------------------------------
  softmax(x: string, axis = -1): string { return this.op('Softmax', [x], { axis }); }
  /** ReduceMean (opset 17: axes is an attribute). */
  reduceMean(x: string, axes: number[], keepdims = true): string { return this.op('ReduceMean', [x], { axes, keepdims: keepdims ? 1 : 0 }); }
  /** ReduceSum (opset 13+: axes is an input). */
  reduceSum(x: string, axes: number[], keepdims = true): string { return this.op('ReduceSum', [x, this.ints(axes)], { keepdims: keepdims ? 1 : 0 }); }
  reduceMax(x: string, axes: number[], keepdims = true): string { return this.op('ReduceMax', [x], { axes, keepdims: keepdims ? 1 : 0 }); }
  /** LayerNormalization over the axes from `axis` on (opset 17). */
  layerNorm(x: string, scale: string, bias: string | undefined, epsilon: number, axis = -1): string {
    return this.op('LayerNormalization', bias ? [x, scale, bias] : [x, scale], { axis, epsilon: new FloatAttr(epsilon) });
  }

  // ---- shapes --------------------------------------------------------------------------------
  transpose(x: string, perm: number[]): string { return this.op('Transpose', [x], { perm }); }
  /** Reshape to a constant shape (0 copies the input's dim, -1 infers) or to a shape value. */
  reshape(x: string, shape: readonly number[] | string): string {
    return this.op('Reshape', [x, typeof shape === 'string' ? shape : this.ints(shape)]);
  }
  concat(xs: string[], axis: number): string { return this.op('Concat', xs, { axis }); }
  /** Slice with constant starts/ends/axes/steps. */
  slice(x: string, starts: number[], ends: number[], axes: number[], steps?: number[]): string {
    const inputs = [x, this.ints(starts), this.ints(ends), this.ints(axes)];
    if (steps) inputs.push(this.ints(steps));
    return this.op('Slice', inputs);
  }
  /** Slice with starts/ends given as values (1-D int64). */
  sliceDynamic(x: string, starts: string, ends: string, axes: number[]): string {
    return this.op('Slice', [x, starts, ends, this.ints(axes)]);
  }
  gather(x: string, indices: string, axis = 0): string { return this.op('Gather', [x, indices], { axis }); }
  unsqueeze(x: string, axes: number[]): string { return this.op('Unsqueeze', [x, this.ints(axes)]); }
  squeeze(x: string, axes: number[]): string { return this.op('Squeeze', [x, this.ints(axes)]); }
  /** The shape of `x` (1-D int64), optionally the dims [start, end). */
  shape(x: string, start?: number, end?: number): string { return this.op('Shape', [x], { start, end }); }
  expand(x: string, shape: string): string { return this.op('Expand', [x, shape]); }
  /** Range(start, limit, delta) on scalar values of one type. */
  range(start: string, limit: string, delta: string): string { return this.op('Range', [start, limit, delta]); }
  /** Pad with constant pads [x1_begin, x2_begin, ..., x1_end, ...]; mode constant|reflect|edge. */
  pad(x: string, pads: number[], mode: 'constant' | 'reflect' | 'edge' = 'constant', value?: string): string {
    const inputs = [x, this.ints(pads)];
    if (value) inputs.push(value);
    return this.op('Pad', inputs, { mode });
  }

  // ---- convolution ---------------------------------------------------------------------------
  /** Conv on NC[D...] input with weight [out, in/group, k...]. */
  conv(x: string, weight: string, bias: string | undefined, opts: { strides?: number[]; pads?: number[]; dilations?: number[]; group?: number } = {}): string {
    return this.op('Conv', bias ? [x, weight, bias] : [x, weight], {
      strides: opts.strides,
      pads: opts.pads,
      dilations: opts.dilations,
      group: opts.group,
    });
  }

  /** The GraphProto of what was built. */
  build(): GraphProto {
    if (this.outputs.length === 0) throw new Error(`graph "${this.name}" has no outputs`);
    return { name: this.name, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs };
  }

  /** Read access for tests and the exporter: the initialisers added so far. */
  get weights(): readonly TensorProto[] {
    return this.initializers;
  }
}
