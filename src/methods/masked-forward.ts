import type * as tf from '@tensorflow/tfjs-core';
import type { EncoderOutput, LocalFeatures } from '../models/encoder.ts';
import type { LossContext } from './method.ts';
import { computeSpanMask, lengthsFromPaddingMask, spanMaskTensor, type SpanMask, type SpanMaskConfig } from './masking.ts';

/** What a masked-prediction method (HuBERT, wav2vec 2.0) gets back from its masked forward pass. */
export interface MaskedForward {
  local: LocalFeatures;
  /** Valid encoder frames per utterance. */
  lengths: Int32Array;
  mask: SpanMask;
  out: EncoderOutput;
  /** The representation the method's head reads: `out.output`, or `out.hidden[layer]` when the run names a layer. */
  rep: tf.Tensor3D;
  batch: number;
  frames: number;
  /** [batch * frames], 1 on each utterance's valid frames (the feature penalty's weights). */
  valid: Float32Array;
}

/**
 * The shared start of HuBERT and wav2vec 2.0: local features of the batch, span masks drawn over each
 * utterance's valid frames (fairseq compute_mask_indices), the encoder's context network run with the
 * masked frames replaced by its learned mask vector, and the layer the method reads.
 */
export function maskedForward(method: string, ctx: LossContext, spans: Pick<SpanMaskConfig, 'maskProb' | 'maskLength' | 'minMasks' | 'requireSameMasks'>): MaskedForward {
  const input = ctx.encoderInput();
  const local = ctx.encoder.features(input.x, { paddingMask: input.paddingMask });
  const [batch, frames] = local.features.shape;
  const lengths = local.paddingMask ? lengthsFromPaddingMask(local.paddingMask.dataSync(), batch, frames) : new Int32Array(batch).fill(frames);
  const mask = computeSpanMask(batch, frames, spans, ctx.rng, lengths);
  const out = ctx.encoder.context(local, { frameMask: spanMaskTensor(mask) });
  const rep = ctx.layer !== undefined ? out.hidden[ctx.layer] : out.output;
  if (!rep) throw new Error(`${method}: layer ${ctx.layer} asked, the encoder returned ${out.hidden.length} hidden states`);
  const valid = new Float32Array(batch * frames);
  for (let b = 0; b < batch; b++) valid.fill(1, b * frames, b * frames + lengths[b]);
  return { local, lengths, mask, out, rep: rep as tf.Tensor3D, batch, frames, valid };
}
