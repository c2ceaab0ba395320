import { WAVEFORM_RATE } from '../data/waveform.ts';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../util/errors.ts';
import type { JsonValue } from '../util/fields.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { projectVersion } from '../util/version.ts';
import { findTrainingFeatureConfig, readFeatureConfig } from '../checkpoint/feature-config.ts';
import { loadTrainedEncoder } from '../checkpoint/trained-encoder.ts';
import { ExportError } from './export-context.ts';
import { exportEncoderModel, parseLayerSelection, type ExportedModel } from './export-model.ts';
import { featureFrameRate, frontendFromFeatureConfig } from './frontend-config.ts';
import type { FrontendPrecision } from './frontend.ts';

/**
 * A trained checkpoint to an ONNX file: the encoder rebuilt from the checkpoint, the frontend (with
 * `withFrontend`) from the features.json the training features were made with (found through the run,
 * or given), metadata naming the checkpoint step, the project version and the feature configuration.
 * Anything that cannot be exported is an InputError naming the layer or setting, and nothing is written.
 */
export interface ExportCheckpointOptions {
  checkpoint: string;
  out: string;
  layers: string;
  withFrontend: boolean;
  frontendPrecision: FrontendPrecision;
  paddingMask: boolean;
  /** A features.json to use instead of the run's. */
  frontendConfig?: string;
}

export interface ExportCheckpointResult {
  model: ExportedModel;
  checkpointDir: string;
  step: number;
  /** The features.json used (frontend and metadata), if any. */
  featureConfigFile?: string;
}

export function exportCheckpoint(o: ExportCheckpointOptions): ExportCheckpointResult {
  const trained = loadTrainedEncoder(o.checkpoint);
  try {
    const { encoder, dir, step } = trained;
    const input = encoder.input;
    const layers = parseLayerSelection(o.layers, encoder.numLayers);
    if (o.frontendConfig !== undefined && !existsSync(o.frontendConfig)) throw new InputError('no such file', { file: o.frontendConfig, field: '--frontend-config' });
    const featureFile = o.frontendConfig ?? (input.kind === 'frames' ? findTrainingFeatureConfig(dir, trained.runConfig) : undefined);
    const featureConfig: Record<string, JsonValue> | undefined = featureFile ? readFeatureConfig(featureFile) : undefined;
    if (o.withFrontend && input.kind !== 'frames') throw new InputError(`--with-frontend is for encoders that take features; this ${encoder.kind} encoder takes ${input.kind === 'image' ? 'images' : 'the waveform'} itself`, { file: dir });
    if (o.withFrontend && !featureConfig) {
      throw new InputError('--with-frontend needs the feature configuration the training features were made with: the run has no features.json (neither in its folder nor beside its data.train.features); pass --frontend-config FILE (the features.json `speech-ssl extract` wrote)', { file: dir });
    }
    const frontend = o.withFrontend && featureConfig ? frontendFromFeatureConfig(featureConfig, featureFile!) : undefined;
    const inputRate = input.kind === 'waveform' ? WAVEFORM_RATE : (featureConfig && featureFrameRate(featureConfig)) ?? 100;
    const version = projectVersion();
    const metadata: Record<string, string> = { checkpoint_step: String(step), checkpoint: resolve(dir), project_version: version };
    if (featureConfig) metadata.feature_config = JSON.stringify(featureConfig);
    let model: ExportedModel;
    try {
      model = exportEncoderModel(encoder, { layers, frontend, frontendPrecision: o.frontendPrecision, paddingMask: o.paddingMask, inputRate, metadata, producerVersion: version });
    } catch (e) {
      if (e instanceof ExportError) throw new InputError(e.message, { file: dir });
      throw e;
    }
    writeFileAtomic(o.out, model.bytes);
    return { model, checkpointDir: dir, step, featureConfigFile: featureFile };
  } finally {
    trained.encoder.dispose();
  }
}
