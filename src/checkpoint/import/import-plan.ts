import * as tf from '@tensorflow/tfjs-core';
import { AudioTransformerEncoder } from '../../models/audio-transformer.ts';
import type { AudioTransformerConfig } from '../../models/audio-transformer-config.ts';
import { InputError } from '../../util/errors.ts';
import { Rng } from '../../util/rng.ts';
import { NoInitRng } from '../../nn/init.ts';
import { nativeShape, orientationOf, toNative, type SourceState, type SourceTensor } from './source-tensor.ts';

/** Per-utterance normalisation of the waveform the model was trained with: (x - mean) / sqrt(var + eps). */
export interface WaveformNormalization {
  eps: number;
}

/**
 * What an importer makes of a checkpoint: the architecture, each of our parameters' source tensor
 * (PyTorch orientation), the tensors left out on purpose (heads), and the input normalisation.
 */
export interface ImportPlan {
  format: 'huggingface' | 'fairseq' | 's3prl' | 'torchaudio';
  /** One line: what the file holds, e.g. `Hugging Face Wav2Vec2ForCTC (model_type wav2vec2)`. */
  description: string;
  file: string;
  config: AudioTransformerConfig;
  normalize: WaveformNormalization | null;
  tensors: Map<string, { name: string; tensor: SourceTensor }>;
  /** Left out on purpose, by module prefix: `lm_head` -> 2 (tensors). */
  dropped: Map<string, number>;
  /** The source's name of one of our parameters, for messages about missing tensors. */
  sourceName: (native: string) => string;
  /** The source has no `post_extract_proj` because the conv width equals the model width (s3prl): identity. */
  identityProjection?: boolean;
}

/** What a source name is: one of our parameters, a tensor of a head left out (its prefix), or neither. */
export type NameMapping = { native: string } | { drop: string } | undefined;

const MAX_LISTED = 12;

export function listNames(names: string[]): string {
  const shown = names.slice(0, MAX_LISTED).map((n) => `"${n}"`).join(', ');
  return names.length > MAX_LISTED ? `${shown} and ${names.length - MAX_LISTED} more` : shown;
}

/** Sorts a state's tensors into ours and dropped ones; names that are neither are an error listing them. */
export function mapState(state: SourceState, file: string, map: (name: string) => NameMapping): Pick<ImportPlan, 'tensors' | 'dropped'> {
  const tensors: ImportPlan['tensors'] = new Map();
  const dropped = new Map<string, number>();
  const unexpected: string[] = [];
  for (const [name, tensor] of state) {
    const m = map(name);
    if (!m) unexpected.push(name);
    else if ('drop' in m) dropped.set(m.drop, (dropped.get(m.drop) ?? 0) + 1);
    else {
      const prev = tensors.get(m.native);
      if (prev) throw new InputError(`tensors "${prev.name}" and "${name}" are both "${m.native}"`, { file });
      tensors.set(m.native, { name, tensor });
    }
  }
  if (unexpected.length) throw new InputError(`unexpected tensors (not part of the encoder, nor a known head): ${listNames(unexpected)}`, { file });
  return { tensors, dropped };
}

/** Parameters an import may lack: the mask vector is used only in training (masked pretraining). */
const OPTIONAL = new Set(['mask_emb']);

export interface AssembledEncoder {
  encoder: AudioTransformerEncoder;
  /** Our parameters the source lacked and that kept their initial value (mask_emb) or were made (identity projection). */
  filled: string[];
}

/**
 * Builds the encoder the plan describes and assigns every parameter from its source tensor, turned to our
 * orientation. Missing tensors (named as the source would name them) and shape mismatches (naming the
 * tensor) are errors; nothing is assigned partly.
 */
export function assembleEncoder(plan: ImportPlan): AssembledEncoder {
  const encoder = new AudioTransformerEncoder(plan.config, new NoInitRng());
  try {
    const params = encoder.namedParameters();
    const missing: string[] = [];
    const filled: string[] = [];
    for (const [name, v] of params) {
      const src = plan.tensors.get(name);
      if (!src) {
        if (OPTIONAL.has(name) || (plan.identityProjection && name.startsWith('post_extract_proj.'))) filled.push(name);
        else missing.push(plan.sourceName(name));
        continue;
      }
      const o = orientationOf(name, v.shape.length);
      if (nativeShape(src.tensor.shape, o).join(',') !== v.shape.join(',')) {
        throw new InputError(`tensor "${src.name}" has shape [${src.tensor.shape}], the model its config describes expects [${nativeShape(v.shape, o)}]`, { file: plan.file });
      }
    }
    if (missing.length) throw new InputError(`missing tensors: ${listNames(missing)}`, { file: plan.file });
    const extra = [...plan.tensors].filter(([n]) => !params.has(n)).map(([, s]) => s.name);
    if (extra.length) throw new InputError(`unexpected tensors (the model its config describes has no such parameter): ${listNames(extra)}`, { file: plan.file });
    // Every shape checked: now one tensor at a time (read, turned, assigned), so at most one is held twice.
    for (const [name, v] of params) {
      const src = plan.tensors.get(name);
      let data: Float32Array;
      if (src) data = toNative(src.tensor.toFloat32(), src.tensor.shape, orientationOf(name, v.shape.length));
      else if (name === 'mask_emb') {
        const rng = new Rng(0); // fairseq draws it from U(0, 1)
        data = Float32Array.from({ length: v.size }, () => rng.next());
      }
      else data = name.endsWith('.weight') ? identity(v.shape[0]) : new Float32Array(v.size); // the identity projection
      tf.tidy(() => v.assign(tf.tensor(data, v.shape, 'float32')));
    }
    return { encoder: encoder.eval() as AudioTransformerEncoder, filled };
  } catch (e) {
    encoder.dispose();
    throw e;
  }
}

function identity(n: number): Float32Array {
  const a = new Float32Array(n * n);
  for (let i = 0; i < n; i++) a[i * n + i] = 1;
  return a;
}
