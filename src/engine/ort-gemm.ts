import { createRequire } from 'node:module';
import { AttributeType, DataType, type GraphProto, type ValueInfoProto } from '../util/onnx-schema.ts';
import { encodeModel, modelProto } from '../util/onnx-proto.ts';

/**
 * Matrix products on onnxruntime's native CPU GEMM (MLAS: AVX2/AVX-512 with fused multiply-add), called
 * synchronously from inside a tfjs kernel.
 *
 * onnxruntime-node's public `InferenceSession.run` returns a Promise, but beneath it (dist/backend.js)
 * the native session's `run` is a synchronous call made inside `setImmediate`. This file creates those
 * native sessions itself and calls `run` directly, so a kernel can wait for a product without giving up
 * the thread. That is the binding's internal interface, so it is pinned: only the onnxruntime-node
 * versions tested here are used (`TESTED_ORT_VERSIONS`); any other version, or a session that fails to
 * load or to compute a known product, leaves the engine on its own kernels (the caller prints why).
 *
 * One graph per kind of product: a single ONNX Gemm node (opset 17) with dynamic m, k, n, its
 * `transA`/`transB` attributes for transposed operands (no transposed copies), and an optional bias as
 * Gemm's C of shape [n]. Eight sessions (transA x transB x bias), created once and reused.
 * Feeds and fetches are the binding's tensor objects over the caller's Float32Arrays: the binding wraps
 * an input's buffer without copying it, and a fetch given as a tensor is written in place (a null fetch
 * would cost a native allocation and a copy into a new ArrayBuffer). The binding accepts plain
 * ArrayBuffers only, not SharedArrayBuffers.
 *
 * Results are deterministic for a given thread count: MLAS splits a product over rows and columns of
 * the output, never over the shared dimension, so every output element is one sum in one order.
 */

/** onnxruntime-node versions whose native binding this file was tested against. */
export const TESTED_ORT_VERSIONS = /^1\.30\./;
export const TESTED_ORT_VERSIONS_TEXT = '1.30.x';

interface NativeTensor {
  location: 'cpu';
  type: 'float32';
  data: Float32Array;
  dims: number[];
}
interface NativeSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: object): void;
  run(feeds: Record<string, NativeTensor>, fetches: Record<string, NativeTensor | null>): unknown;
  dispose?(): void;
}
interface BindingModule {
  binding: { InferenceSession: new () => NativeSession };
  initOrt(): void;
}

/** out[m x n] = op(a) @ op(b) (+ bias[n]); op transposes when asked. Arrays hold exactly their operand. */
export interface GemmOperands {
  a: Float32Array;
  b: Float32Array;
  out: Float32Array;
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
  bias?: Float32Array;
}

function dims(names: string[]): ValueInfoProto['type'] {
  return { tensorType: { elemType: DataType.FLOAT, shape: { dim: names.map((d) => ({ dimParam: d })) } } };
}

/** The one-node graph of a product kind. */
export function gemmGraph(transA: boolean, transB: boolean, bias: boolean): GraphProto {
  const input: ValueInfoProto[] = [
    { name: 'a', type: dims(transA ? ['k', 'm'] : ['m', 'k']) },
    { name: 'b', type: dims(transB ? ['n', 'k'] : ['k', 'n']) },
  ];
  if (bias) input.push({ name: 'c', type: dims(['n']) });
  return {
    name: `gemm_${transA ? 't' : 'n'}${transB ? 't' : 'n'}${bias ? '_bias' : ''}`,
    input,
    output: [{ name: 'y', type: dims(['m', 'n']) }],
    initializer: [],
    node: [{
      opType: 'Gemm', name: 'gemm', input: bias ? ['a', 'b', 'c'] : ['a', 'b'], output: ['y'],
      attribute: [
        { name: 'transA', type: AttributeType.INT, i: transA ? 1 : 0 },
        { name: 'transB', type: AttributeType.INT, i: transB ? 1 : 0 },
      ],
    }],
  };
}

function key(transA: boolean, transB: boolean, bias: boolean): number {
  return (transA ? 1 : 0) | (transB ? 2 : 0) | (bias ? 4 : 0);
}

export class OrtGemm {
  private readonly sessions: NativeSession[] = [];

  private constructor(binding: BindingModule, readonly threads: number, readonly version: string) {
    const options = {
      intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
      // Worker threads sleep between products instead of spinning: the tfjs kernels between two
      // products need the cores, and on a shared machine spinning takes them from other processes.
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    };
    for (let i = 0; i < 8; i++) {
      const bytes = encodeModel(modelProto(gemmGraph(!!(i & 1), !!(i & 2), !!(i & 4)), { producerName: 'speech-ssl engine' }));
      const session = new binding.binding.InferenceSession();
      const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      session.loadModel(buffer, 0, buffer.byteLength, options);
      this.sessions.push(session);
    }
  }

  /**
   * Loads the binding if the installed onnxruntime-node is a tested version, creates the sessions and
   * checks one small product of each kind against a plain loop. Returns the reason when it cannot serve.
   * `version` stands in for the installed version; so does the SPEECH_SSL_SIMULATE_ORT_VERSION
   * environment variable (tests use both to check the fallback).
   */
  static open(threads: number, version = process.env.SPEECH_SSL_SIMULATE_ORT_VERSION || undefined): OrtGemm | string {
    const require = createRequire(import.meta.url);
    let installed: string;
    try {
      installed = version ?? (require('onnxruntime-node/package.json') as { version: string }).version;
    } catch (e) {
      return `onnxruntime-node not found (${firstLine(e)})`;
    }
    if (!TESTED_ORT_VERSIONS.test(installed)) return `onnxruntime-node ${installed} is not a version this engine was tested with (${TESTED_ORT_VERSIONS_TEXT})`;
    try {
      const binding = require('onnxruntime-node/dist/binding.js') as BindingModule;
      binding.initOrt();
      const gemm = new OrtGemm(binding, threads, installed);
      gemm.selfCheck();
      return gemm;
    } catch (e) {
      return `onnxruntime-node ${installed}: its GEMM sessions failed (${firstLine(e)})`;
    }
  }

  /** out = op(a) @ op(b) (+ bias), synchronously. */
  gemm(o: GemmOperands): void {
    const { m, k, n } = o;
    if (o.a.length !== m * k || o.b.length !== k * n || o.out.length !== m * n || (o.bias && o.bias.length !== n)) {
      throw new Error(`OrtGemm: operand sizes ${o.a.length}, ${o.b.length}, ${o.out.length} do not fit m=${m} k=${k} n=${n}`);
    }
    const feeds: Record<string, NativeTensor> = {
      a: { location: 'cpu', type: 'float32', data: o.a, dims: o.transA ? [k, m] : [m, k] },
      b: { location: 'cpu', type: 'float32', data: o.b, dims: o.transB ? [n, k] : [k, n] },
    };
    if (o.bias) feeds.c = { location: 'cpu', type: 'float32', data: o.bias, dims: [n] };
    this.sessions[key(o.transA, o.transB, !!o.bias)].run(feeds, { y: { location: 'cpu', type: 'float32', data: o.out, dims: [m, n] } });
  }

  /** Each session computes a 3x4x5 product (with bias where it has one) equal to a float64 loop. */
  private selfCheck(): void {
    const m = 3, k = 4, n = 5;
    for (let i = 0; i < 8; i++) {
      const transA = !!(i & 1), transB = !!(i & 2), withBias = !!(i & 4);
      const a = Float32Array.from({ length: m * k }, (_, j) => (j % 7) - 3);
      const b = Float32Array.from({ length: k * n }, (_, j) => (j % 5) - 2);
      const bias = withBias ? Float32Array.from({ length: n }, (_, j) => j + 1) : undefined;
      const out = new Float32Array(m * n);
      this.gemm({ a, b, out, m, k, n, transA, transB, bias });
      for (let r = 0; r < m; r++) {
        for (let c = 0; c < n; c++) {
          let s = bias ? bias[c] : 0;
          for (let q = 0; q < k; q++) s += a[transA ? q * m + r : r * k + q] * b[transB ? c * k + q : q * n + c];
          if (out[r * n + c] !== s) throw new Error(`self-check of the ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'} product gave ${out[r * n + c]} at [${r}, ${c}], expected ${s}`);
        }
      }
    }
  }
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0].trim();
}
