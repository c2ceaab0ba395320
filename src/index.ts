/**
 * speech-ssl as a library: the same functions the CLI commands call. Each group below is one stage of
 * the pipeline (see ../docs and the README's "Library" section for an example).
 */
// Audio frontend: decoding, resampling, Kaldi fbank/MFCC, mel spectrograms, deltas, CMVN.
export * from './audio/index.ts';
// Featurizers (fbank, MFCC, mel, Meyda, checkpoint, ONNX) and corpus extraction.
export * from './features/index.ts';
// Manifests and numpy files.
export { readManifest, writeManifest, formatManifest, entryPath, type Manifest, type ManifestEntry } from './data/manifest.ts';
export { buildManifests } from './data/build-manifest.ts';
export { readNpy, writeNpy, encodeNpy, decodeNpy, type NpyData } from './util/npy.ts';
// Pseudo-labels: k-means (full or scikit-learn-style mini-batch), feature sets, fairseq .km files.
export { kmeans } from './cluster/kmeans.ts';
export { miniBatchKMeans } from './cluster/mini-batch-kmeans.ts';
export { openFeatureSet, readUtterance, type FeatureSet, type FeatureUtterance } from './cluster/feature-set.ts';
export { labelUtterances } from './cluster/label-features.ts';
export { readKmFile, writeKmFile, writeKmDictionary, clusterCounts, validateKmLabels, validateKmFile } from './cluster/km-labels.ts';
// Engine, encoders, methods and the one Trainer.
export { initBackend, backendInfo, BACKEND_CHOICES, type BackendChoice } from './engine/backend.ts';
export { buildEncoder, ENCODER_KINDS } from './models/registry.ts';
export type { Encoder, EncoderOutput } from './models/encoder.ts';
export { METHODS, type MethodRegistry } from './methods/registry.ts';
export type { Method, MethodDefinition, LossContext, LossOutput } from './methods/method.ts';
export { readRunConfig, readConfigFile, applyOverrides, type RunConfig } from './train/config.ts';
export { buildRun, resumeLatest, type RunDeps } from './train/run.ts';
export { loadTrainedEncoder, type TrainedEncoder } from './checkpoint/trained-encoder.ts';
// Evaluation.
export { trainLinearProbe, predictLinearProbe, accuracy } from './eval/linear-probe.ts';
export { knnPredict } from './eval/knn.ts';
export { evaluateProbeFolds, evaluateKnnFolds } from './eval/fold-evaluation.ts';
export { jointCounts, clusterQuality } from './eval/cluster-quality.ts';
export { abx } from './eval/abx.ts';
// ONNX export and inference; run reports.
export { exportCheckpoint } from './export/export-checkpoint.ts';
export { exportEncoderModel } from './export/export-model.ts';
export { OnnxRunner } from './export/runner.ts';
export { writeRunReport } from './report/run-report.ts';
export { TrainingView, writeClusterUsageEvents } from './report/training-view.ts';
export { EventFileWriter } from './report/tensorboard-writer.ts';
export { collectReportArtifacts } from './report/artifacts.ts';
