/** The losses, one per file; see docs/methods.md for each definition and its defaults. */
export type { LossResult } from './ops.ts';
export { stopGradient, l2Normalize } from './ops.ts';
export { hubertLogits, hubertPredictionLoss, HUBERT_LOSS_DEFAULTS, type HubertLossConfig, type HubertLossInput } from './hubert.ts';
export { featurePenalty } from './feature-penalty.ts';
export { infoNceFromScores, type InfoNceInput } from './info-nce.ts';
export { cpcLoss, CPC_LOSS_DEFAULTS, type CpcLossConfig, type CpcLossInput } from './cpc.ts';
export { wav2vec2ContrastiveLoss, WAV2VEC2_CONTRASTIVE_DEFAULTS, type Wav2vec2ContrastiveConfig, type Wav2vec2ContrastiveInput } from './wav2vec2-contrastive.ts';
export { diversityLoss, codebookPerplexity } from './diversity.ts';
export { ntXentLoss, NT_XENT_DEFAULTS, type NtXentConfig } from './nt-xent.ts';
export { byolLoss, byolSymmetricLoss, normalizedEmbeddingStd } from './byol.ts';
export { distilHubertLoss, DISTILL_LOSS_DEFAULTS, type DistilConfig } from './distill.ts';
export { classificationLoss } from './classification.ts';
export { regressionLoss, REGRESSION_LOSS_DEFAULTS, type RegressionConfig, type RegressionKind } from './regression.ts';
