/**
 * Features from an ONNX encoder with onnxruntime-node (OnnxRunner): any model with a float waveform
 * [batch, samples] or feature [batch, time, dim] input. `--layer N` reads the output `hidden_N`, the
 * default `hidden` (or the first float output); `--output-name` picks any. A feature-input model gets its
 * features computed first, from --frontend-config or the `feature_config` metadata this project's export
 * writes. Utterances run in padded batches sorted by length, with the padding mask when the model has one.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { OnnxRunner } from '../export/runner.ts';
import type { Device } from '../export/providers.ts';
import { readFeatureConfig } from '../checkpoint/feature-config.ts';
import { InputError, errorMessage } from '../util/errors.ts';
import type { JsonValue } from '../util/fields.ts';
import type { FeatureMatrix, Featurizer } from './featurizer.ts';
import { resolveOptions, type OptionValues } from './feature-options.ts';
import { featurizerFromConfig, parseLayer } from './input-features.ts';
import { ONNX_FEATURE_DEFAULTS } from './model-kinds.ts';

function metadataFeatureConfig(meta: Record<string, string>, file: string): Record<string, JsonValue> | undefined {
  if (!meta.feature_config) return undefined;
  try {
    return JSON.parse(meta.feature_config) as Record<string, JsonValue>;
  } catch (e) {
    throw new InputError(`metadata feature_config is not JSON: ${errorMessage(e)}`, { file });
  }
}

export async function createOnnxFeaturizer(spec: string, values: OptionValues): Promise<Featurizer> {
  const o = resolveOptions(ONNX_FEATURE_DEFAULTS, values);
  if (!existsSync(spec)) throw new InputError('no such ONNX model file', { file: spec });
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new InputError(`must be an integer >= 1, got ${o.batchSize}`, { field: '--batch-size' });
  if (!Number.isInteger(o.threads) || o.threads < 0) throw new InputError(`must be an integer >= 0, got ${o.threads}`, { field: '--threads' });
  const layer = parseLayer(o.layer);
  const all = await OnnxRunner.open(spec, { device: o.device as Device, threads: o.threads, inputName: o.inputName || undefined, log: (m) => process.stderr.write(`extract: ${m}\n`) });
  let input: Featurizer | undefined;
  try {
    const outputs = all.allOutputNames();
    let name: string;
    if (o.outputName) name = o.outputName;
    else if (layer !== 'last') {
      name = `hidden_${layer}`;
      if (!outputs.includes(name)) throw new InputError(`has no output ${name} (outputs: ${outputs.join(', ')}); export it with --layers ${layer}, or name an output with --output-name`, { file: spec, field: '--layer' });
    } else name = outputs.includes('hidden') ? 'hidden' : all.outputNames[0];
    const runner = all.withOutputs([name]);
    let inputConfig: Record<string, JsonValue> | null = null;
    if (runner.input.rank === 3) {
      const file = o.frontendConfig || spec;
      const cfg = o.frontendConfig ? readFeatureConfig(o.frontendConfig) : metadataFeatureConfig(runner.metadata, spec);
      if (!cfg) throw new InputError(`the model takes features ("${runner.input.name}" [batch, time, ${runner.input.dim}]) and its metadata has no feature_config; pass --frontend-config FILE (the features.json of its training features)`, { file: spec });
      inputConfig = cfg;
      input = await featurizerFromConfig(cfg, file, runner.input.dim);
    }
    const inner = input;
    // Without a padding mask every row of a batch counts as full length: run utterances one at a time.
    const batchSize = runner.mask ? o.batchSize : 1;
    const rate = Number(runner.metadata.sample_rate);
    const sampleRate = inner ? inner.sampleRate : Number.isFinite(rate) && rate > 0 ? rate : 16000;
    const computeBatch = async (waveforms: Float32Array[], ctx: { key?: string }[]): Promise<FeatureMatrix[]> => {
      const utts = [];
      for (const [i, w] of waveforms.entries()) {
        if (!inner) utts.push({ data: w, steps: w.length });
        else {
          const m = await inner.compute(w, ctx[i]);
          utts.push({ data: m.data, steps: m.frames });
        }
      }
      const res = (await runner.runAll(utts, { batchSize })).get(name)!;
      return res.map((m) => ({ data: m.data, frames: m.frames, dims: m.dim }));
    };
    return {
      kind: 'onnx',
      sampleRate,
      dims: runner.outputDim(name) ?? 0,
      batchSize,
      config: { kind: 'onnx', model: resolve(spec), output: name, input: runner.input.name, inputFeatures: inputConfig },
      async compute(waveform, ctx = {}) {
        return (await computeBatch([waveform], [ctx]))[0];
      },
      computeBatch,
      async dispose() {
        await inner?.dispose?.();
        await all.close();
      },
    };
  } catch (e) {
    await input?.dispose?.();
    await all.close();
    throw e;
  }
}
