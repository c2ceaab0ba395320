/**
 * Features from a trained checkpoint, computed with tfjs: the input features first (for an encoder that
 * takes them, with the configuration its training features were made with), then the encoder in eval
 * mode up to the layer asked for. One utterance at a time, so the result is the utterance alone.
 * `layer: 'all'` gives every hidden state of the model's width side by side ([frames, L * D]: hidden state
 * 0 (the context's input) when it has that width, then the output of each layer), the input of
 * `speech-ssl eval probe --layers all` (per-layer sweeps and the SUPERB weighted sum from one extraction).
 */
import { WAVEFORM_RATE } from '../data/waveform.ts';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendChoice } from '../engine/backend.ts';
import '../export/encoders/index.ts';
import { findTrainingFeatureConfig, readFeatureConfig } from '../checkpoint/feature-config.ts';
import { loadTrainedEncoder } from '../checkpoint/trained-encoder.ts';
import { InputError } from '../util/errors.ts';
import type { JsonValue } from '../util/fields.ts';
import type { Encoder } from '../models/encoder.ts';
import type { FeatureMatrix, Featurizer } from './featurizer.ts';
import { resolveOptions, type OptionValues } from './feature-options.ts';
import { featurizerFromConfig, parseLayer } from './input-features.ts';
import { CHECKPOINT_FEATURE_DEFAULTS } from './model-kinds.ts';
import { normalizeWaveform } from '../audio/waveform-normalize.ts';


function takesWaveform(enc: Encoder, where: string): boolean {
  const kind = enc.input;
  if (kind.kind === 'image') throw new InputError(`the ${enc.kind} encoder takes images; extract computes features of recordings`, { file: where });
  return kind.kind === 'waveform';
}

export async function createCheckpointFeaturizer(spec: string, values: OptionValues): Promise<Featurizer> {
  const o = resolveOptions(CHECKPOINT_FEATURE_DEFAULTS, values);
  await initBackend(o.backend as BackendChoice);
  const trained = loadTrainedEncoder(spec);
  const enc = trained.encoder;
  let input: Featurizer | undefined;
  try {
    const all = o.layer === 'all';
    const layer = all ? 'last' : parseLayer(o.layer, enc.numLayers);
    let inputConfig: Record<string, JsonValue> | null = null;
    let normalizeEps: number | undefined;
    if (takesWaveform(enc, trained.dir)) {
      // An imported model's features.json may ask for per-utterance normalisation of the waveform.
      const file = o.frontendConfig || findTrainingFeatureConfig(trained.dir, trained.runConfig);
      if (file) {
        inputConfig = readFeatureConfig(file);
        normalizeEps = waveformNormalization(inputConfig, file);
      }
    } else {
      const file = o.frontendConfig || findTrainingFeatureConfig(trained.dir, trained.runConfig);
      if (!file) throw new InputError('the encoder takes features, and the run has no features.json (neither in its folder nor beside its data.train.features); pass --frontend-config FILE', { file: trained.dir });
      inputConfig = readFeatureConfig(file);
      input = await featurizerFromConfig(inputConfig, file, (enc.input as { dim: number }).dim);
    }
    const inner = input;
    // Hidden state 0 is the width of the local features, which may differ from the layers' (CPC).
    const firstLayer = enc.featureDim !== undefined && enc.featureDim !== enc.outputDim ? 1 : 0;
    const layerIds = all ? Array.from({ length: enc.numLayers + 1 - firstLayer }, (_, i) => firstLayer + i) : [];
    const dims = all ? layerIds.length * enc.outputDim : layer === 0 && enc.featureDim !== undefined ? enc.featureDim : enc.outputDim;
    const run = (x: tf.Tensor): FeatureMatrix => {
      const out = tf.tidy(() => {
        const r = enc.forward(x, { maxLayer: layer === 'last' ? undefined : layer });
        if (all) return tf.concat(layerIds.map((l) => r.hidden[l]), 2);
        return layer === 'last' ? r.output : r.hidden[layer];
      });
      const m = { data: Float32Array.from(out.dataSync() as Float32Array), frames: out.shape[1], dims: out.shape[2] };
      out.dispose();
      return m;
    };
    return {
      kind: 'checkpoint',
      sampleRate: inner ? inner.sampleRate : WAVEFORM_RATE,
      dims,
      config: {
        kind: 'checkpoint', checkpoint: resolve(trained.dir), step: trained.step, encoder: enc.kind, layer: all ? 'all' : layer,
        ...(all ? { layers: layerIds, layerDim: enc.outputDim } : {}),
        inputFeatures: inputConfig,
      },
      async compute(waveform, ctx) {
        if (!inner) return runOn2d(normalizeEps === undefined ? waveform : normalizeWaveform(waveform, normalizeEps), run);
        const m = await inner.compute(waveform, ctx);
        const x = tf.tensor3d(m.data, [1, m.frames, m.dims]);
        try {
          return run(x);
        } finally {
          x.dispose();
        }
      },
      async dispose() {
        await inner?.dispose?.();
        enc.dispose();
      },
    };
  } catch (e) {
    await input?.dispose?.();
    enc.dispose();
    throw e;
  }
}

/** The epsilon of a waveform features.json asking for per-utterance normalisation, else undefined. */
function waveformNormalization(config: Record<string, JsonValue>, file: string): number | undefined {
  if (config.features !== 'waveform') throw new InputError(`the encoder takes the waveform, but this feature configuration is "${String(config.features)}"`, { file });
  if (config.normalize === undefined || config.normalize === false) return undefined;
  if (config.normalize !== true) throw new InputError(`"normalize" must be true or false, got ${JSON.stringify(config.normalize)}`, { file });
  const eps = config.normalizeEps ?? 1e-7;
  if (typeof eps !== 'number' || !(eps > 0)) throw new InputError(`"normalizeEps" must be a positive number, got ${JSON.stringify(eps)}`, { file });
  return eps;
}

function runOn2d(waveform: Float32Array, run: (x: tf.Tensor) => FeatureMatrix): FeatureMatrix {
  const x = tf.tensor2d(waveform, [1, waveform.length]);
  try {
    return run(x);
  } finally {
    x.dispose();
  }
}
