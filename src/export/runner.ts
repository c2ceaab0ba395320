import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { InputError, errorMessage } from '../util/errors.ts';
import { readMetadataProps } from '../util/onnx-proto.ts';
import { CUDA_INSTALL_HINT, providersFor, type Device } from './providers.ts';

/**
 * Runs an ONNX encoder with onnxruntime-node on variable-length utterances: pads a batch to its longest
 * member, feeds the padding mask when the model takes one, and trims each output back to the
 * utterance's own frames. Works with this project's exports (input `features` or `waveform`, input
 * `padding_mask`, output `lengths`) and with other float waveform/feature models, whose input and output
 * names are options (defaults read from the file).
 */

export interface RunnerOptions {
  device: Device;
  /** onnxruntime intra-op threads (0 = its default, one per core). */
  threads: number;
  /** The float input to feed utterances to; default: the first float input of rank 2 or 3. */
  inputName?: string;
  /** The padding-mask input; default: an input with "mask" in its name. `''` = feed none. */
  maskName?: string;
  /** What a 1 in the mask means; default: `valid` for names containing "attention", else `padding`. */
  maskMeaning?: 'padding' | 'valid';
  /** Outputs to fetch; default: every float output. */
  outputNames?: string[];
  /** Output with frames per utterance ([B] int); default: an int output named `lengths`. */
  lengthsName?: string;
  /** Where onnxruntime-node's native libraries are (tests point this elsewhere). */
  providerDir?: string;
  /** One-line notes (provider fallback). */
  log?: (msg: string) => void;
}

export const RUNNER_DEFAULTS: RunnerOptions = { device: 'auto', threads: 0 };

/** One utterance: `steps` time steps (samples, or frames of `dim` values each), row-major. */
export interface Utterance {
  data: Float32Array;
  steps: number;
}

/** One output of one utterance: [frames, dim] row-major. */
export interface FrameMatrix {
  data: Float32Array;
  frames: number;
  dim: number;
}

type TensorMeta = ort.InferenceSession.TensorValueMetadata;

function tensorInputs(session: ort.InferenceSession, which: 'inputMetadata' | 'outputMetadata'): TensorMeta[] {
  return session[which].filter((m): m is TensorMeta => m.isTensor);
}

export class OnnxRunner {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly provider: 'cuda' | 'cpu',
    readonly input: { name: string; rank: number; dim: number },
    readonly mask: { name: string; type: ort.Tensor.Type; meaning: 'padding' | 'valid' } | undefined,
    readonly outputNames: string[],
    readonly lengthsName: string | undefined,
    readonly metadata: Record<string, string>,
    private readonly file: string,
  ) {}

  /** Opens a model file (or bytes) on the device asked for. */
  static async open(model: string | Uint8Array, options: Partial<RunnerOptions> = {}): Promise<OnnxRunner> {
    const o = { ...RUNNER_DEFAULTS, ...options };
    const file = typeof model === 'string' ? model : '<model bytes>';
    let bytes: Uint8Array;
    try {
      bytes = typeof model === 'string' ? readFileSync(model) : model;
    } catch (e) {
      throw new InputError(`cannot read the model: ${errorMessage(e)}`, { file });
    }
    let metadata: Record<string, string>;
    try {
      metadata = readMetadataProps(bytes);
    } catch (e) {
      throw new InputError(`not an ONNX model (${errorMessage(e)})`, { file });
    }
    const providers = providersFor(o.device, o.providerDir);
    let session: ort.InferenceSession | undefined;
    let provider: 'cuda' | 'cpu' = 'cpu';
    for (const p of providers) {
      try {
        const sessionOptions: ort.InferenceSession.SessionOptions = { executionProviders: [p], interOpNumThreads: 1, logSeverityLevel: 3 };
        if (o.threads > 0) sessionOptions.intraOpNumThreads = o.threads;
        session = await ort.InferenceSession.create(bytes, sessionOptions);
        provider = p;
        break;
      } catch (e) {
        const msg = errorMessage(e);
        if (p === 'cuda' && o.device === 'cuda') throw new InputError(`the CUDA execution provider failed to start: ${msg}. Check the NVIDIA driver, CUDA 12 and cuDNN 9; ${CUDA_INSTALL_HINT}`, { file, field: '--device cuda' });
        if (p === 'cuda') {
          o.log?.(`CUDA execution provider did not start (${msg.split('\n')[0]}); using CPU`);
          continue;
        }
        throw new InputError(`onnxruntime cannot load the model: ${msg}`, { file });
      }
    }
    if (!session) throw new Error('no execution provider could be used');
    return OnnxRunner.describe(session, provider, o, metadata, file);
  }

  private static describe(session: ort.InferenceSession, provider: 'cuda' | 'cpu', o: RunnerOptions, metadata: Record<string, string>, file: string): OnnxRunner {
    const inputs = tensorInputs(session, 'inputMetadata');
    const outputs = tensorInputs(session, 'outputMetadata');
    const names = (list: TensorMeta[]) => list.map((m) => m.name).join(', ');
    const main = o.inputName !== undefined ? inputs.find((m) => m.name === o.inputName) : inputs.find((m) => m.type === 'float32' && (m.shape.length === 2 || m.shape.length === 3) && !/mask/i.test(m.name));
    if (!main) throw new InputError(o.inputName !== undefined ? `no input named "${o.inputName}" (inputs: ${names(inputs)})` : `no float input of rank 2 or 3 (inputs: ${names(inputs)})`, { file, field: '--input-name' });
    if (main.type !== 'float32') throw new InputError(`input "${main.name}" is ${main.type}, expected float32`, { file, field: '--input-name' });
    const rank = main.shape.length;
    const dim = rank === 3 ? main.shape[2] : 1;
    if (rank === 3 && typeof dim !== 'number') throw new InputError(`input "${main.name}" has a symbolic feature dimension (${String(dim)})`, { file });
    let maskMeta: TensorMeta | undefined;
    if (o.maskName !== undefined && o.maskName !== '') {
      maskMeta = inputs.find((m) => m.name === o.maskName);
      if (!maskMeta) throw new InputError(`no input named "${o.maskName}" (inputs: ${names(inputs)})`, { file, field: '--mask-name' });
    } else if (o.maskName === undefined) {
      maskMeta = inputs.find((m) => m !== main && /mask/i.test(m.name));
    }
    const others = inputs.filter((m) => m !== main && m !== maskMeta);
    if (others.length) throw new InputError(`inputs ${names(others)} are neither the ${main.name} input nor a padding mask; name them with --input-name/--mask-name`, { file });
    const mask = maskMeta ? { name: maskMeta.name, type: maskMeta.type, meaning: o.maskMeaning ?? (/attention/i.test(maskMeta.name) ? ('valid' as const) : ('padding' as const)) } : undefined;
    const lengthsMeta = o.lengthsName !== undefined ? outputs.find((m) => m.name === o.lengthsName) : outputs.find((m) => m.name === 'lengths' && m.type !== 'float32');
    if (o.lengthsName !== undefined && !lengthsMeta) throw new InputError(`no output named "${o.lengthsName}" (outputs: ${names(outputs)})`, { file, field: '--lengths-name' });
    let outputNames = o.outputNames ?? outputs.filter((m) => m.type === 'float32').map((m) => m.name);
    for (const n of outputNames) if (!outputs.some((m) => m.name === n)) throw new InputError(`no output named "${n}" (outputs: ${names(outputs)})`, { file, field: '--output-name' });
    if (outputNames.length === 0) throw new InputError(`no float outputs (outputs: ${names(outputs)})`, { file });
    outputNames = [...outputNames];
    return new OnnxRunner(session, provider, { name: main.name, rank, dim: dim as number }, mask, outputNames, lengthsMeta?.name, metadata, file);
  }

  /** The same session fetching only `names` (each must be one of the model's outputs). */
  withOutputs(names: string[]): OnnxRunner {
    const outputs = tensorInputs(this.session, 'outputMetadata');
    for (const n of names) {
      if (!outputs.some((m) => m.name === n)) throw new InputError(`no output named "${n}" (outputs: ${outputs.map((m) => m.name).join(', ')})`, { file: this.file, field: '--output-name' });
    }
    return new OnnxRunner(this.session, this.provider, this.input, this.mask, [...names], this.lengthsName, this.metadata, this.file);
  }

  /** Names of every output of the model (float or not). */
  allOutputNames(): string[] {
    return tensorInputs(this.session, 'outputMetadata').map((m) => m.name);
  }

  /** The last dimension of an output when the file fixes it (e.g. 256 for [batch, frames, 256]). */
  outputDim(name: string): number | undefined {
    const m = tensorInputs(this.session, 'outputMetadata').find((o) => o.name === name);
    const d = m?.shape[m.shape.length - 1];
    return typeof d === 'number' ? d : undefined;
  }

  private maskTensor(batch: Utterance[], steps: number): ort.Tensor {
    const m = this.mask!;
    const b = batch.length;
    const valid = m.meaning === 'valid';
    const at = (i: number, t: number) => (t < batch[i].steps) === valid;
    const dims = [b, steps];
    if (m.type === 'bool' || m.type === 'uint8') return new ort.Tensor(m.type, Uint8Array.from({ length: b * steps }, (_, k) => (at(Math.floor(k / steps), k % steps) ? 1 : 0)), dims);
    if (m.type === 'int64') return new ort.Tensor('int64', BigInt64Array.from({ length: b * steps }, (_, k) => (at(Math.floor(k / steps), k % steps) ? 1n : 0n)), dims);
    if (m.type === 'int32') return new ort.Tensor('int32', Int32Array.from({ length: b * steps }, (_, k) => (at(Math.floor(k / steps), k % steps) ? 1 : 0)), dims);
    if (m.type === 'float32') return new ort.Tensor('float32', Float32Array.from({ length: b * steps }, (_, k) => (at(Math.floor(k / steps), k % steps) ? 1 : 0)), dims);
    throw new InputError(`mask input "${m.name}" has type ${m.type}; expected float32, bool, int32 or int64`, { file: this.file });
  }

  /** Runs one batch; returns, per output name, one [frames, dim] matrix per utterance (padding removed). */
  async runBatch(batch: Utterance[]): Promise<Map<string, FrameMatrix[]>> {
    if (batch.length === 0) return new Map(this.outputNames.map((n) => [n, []]));
    const dim = this.input.dim;
    for (const [i, u] of batch.entries()) {
      if (u.data.length !== u.steps * dim) throw new Error(`utterance ${i}: ${u.data.length} values for ${u.steps} steps of ${dim}`);
    }
    const steps = Math.max(...batch.map((u) => u.steps));
    const padded = new Float32Array(batch.length * steps * dim);
    batch.forEach((u, i) => padded.set(u.data, i * steps * dim));
    const feeds: Record<string, ort.Tensor> = {
      [this.input.name]: new ort.Tensor('float32', padded, this.input.rank === 3 ? [batch.length, steps, dim] : [batch.length, steps]),
    };
    if (this.mask) feeds[this.mask.name] = this.maskTensor(batch, steps);
    const fetch = this.lengthsName ? [...this.outputNames, this.lengthsName] : this.outputNames;
    const res = await this.session.run(feeds, fetch);
    const lengths = this.lengthsName ? Array.from(res[this.lengthsName].data as ArrayLike<number | bigint>, Number) : undefined;
    const out = new Map<string, FrameMatrix[]>();
    for (const name of this.outputNames) {
      const t = res[name];
      if (t.dims.length !== 3) throw new InputError(`output "${name}" has shape [${t.dims}], expected [batch, frames, dim]`, { file: this.file });
      const [, frames, d] = t.dims;
      const data = t.data as Float32Array;
      out.set(
        name,
        batch.map((u, i) => {
          // Without a lengths output, frames are taken in proportion to the utterance's share of the padded length.
          const n = lengths ? Math.min(lengths[i], frames) : Math.min(frames, Math.ceil((u.steps * frames) / steps));
          return { data: data.slice(i * frames * d, (i * frames + n) * d), frames: n, dim: d };
        }),
      );
    }
    for (const t of Object.values(res)) t.dispose();
    return out;
  }

  /**
   * Runs many utterances in batches of similar length (sorted by length, at most `batchSize` each and at
   * most `maxBatchSteps` padded steps in all); results come back in input order.
   */
  async runAll(utterances: Utterance[], opts: { batchSize: number; maxBatchSteps?: number }): Promise<Map<string, FrameMatrix[]>> {
    const order = utterances.map((_, i) => i).sort((a, b) => utterances[a].steps - utterances[b].steps);
    const out = new Map<string, FrameMatrix[]>(this.outputNames.map((n) => [n, new Array<FrameMatrix>(utterances.length)]));
    let start = 0;
    while (start < order.length) {
      let end = start + 1;
      const limit = opts.maxBatchSteps ?? Infinity;
      while (end < order.length && end - start < opts.batchSize && utterances[order[end]].steps * (end - start + 1) <= limit) end++;
      const ids = order.slice(start, end);
      const res = await this.runBatch(ids.map((i) => utterances[i]));
      for (const [name, mats] of res) mats.forEach((m, k) => (out.get(name)![ids[k]] = m));
      start = end;
    }
    return out;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
