/**
 * The featurizer seam's public surface: one `Featurizer` per kind (Kaldi fbank/MFCC, torchaudio mel,
 * Meyda, a trained or imported checkpoint, an ONNX file) and corpus extraction (for src/index.ts).
 */
export { createFeaturizer, featurizerKind, FEATURIZER_KINDS, type Featurizer, type FeaturizerKind, type FeaturizeContext } from './featurizer.ts';
export { featurizeFile } from './extract/featurize-file.ts';
export { runExtract, type ExtractOptions, type ExtractSummary } from './extract/run-extract.ts';
