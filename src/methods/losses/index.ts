/** The losses, one per file; see docs/methods.md for each definition and its defaults. */
export type { LossResult } from './ops.ts';
export { stopGradient, l2Normalize } from './ops.ts';
export { hubertLogits, hubertPredictionLoss, DEFAULT_HUBERT_LOSS, type HubertLossConfig, type HubertLossInput } from './hubert.ts';
export { featurePenalty } from './feature-penalty.ts';
export { infoNceFromScores, type InfoNceInput } from './info-nce.ts';
export { cpcLoss, DEFAULT_CPC_LOSS, type CpcLossConfig, type CpcLossInput } from './cpc.ts';
export { wav2vec2ContrastiveLoss, DEFAULT_WAV2VEC2_CONTRASTIVE, type Wav2vec2ContrastiveConfig, type Wav2vec2ContrastiveInput } from './wav2vec2-contrastive.ts';
export { diversityLoss, codebookPerplexity } from './diversity.ts';
export { ntXentLoss, DEFAULT_NT_XENT, type NtXentConfig } from './nt-xent.ts';
export { byolLoss, byolSymmetricLoss, normalizedEmbeddingStd } from './byol.ts';
export { distilHubertLoss, DEFAULT_DISTIL, type DistilConfig } from './distill.ts';
export { classificationLoss } from './classification.ts';
export { regressionLoss, DEFAULT_REGRESSION, type RegressionConfig, type RegressionKind } from './regression.ts';
