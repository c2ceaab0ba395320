/**
 * One recording to one feature matrix: decode in blocks, mix to mono, resample to the featurizer's rate,
 * and feed a streaming featurizer block by block (bounded memory whatever the length); a featurizer without
 * a stream gets the whole resampled waveform. Errors are InputErrors naming the file.
 */
import { InputError, errorMessage } from '../../util/errors.ts';
import { readAudioBlocks, type AudioInfo, type BlockOptions } from '../../audio/decode.ts';
import { Resampler, resampledLength } from '../../audio/resample.ts';
import { ShortInputError, type FeatureMatrix } from '../../audio/feature-matrix.ts';
import type { Featurizer } from '../featurizer.ts';

export interface FeaturizedFile {
  matrix: FeatureMatrix;
  info: AudioInfo;
  /** Duration of the decoded audio, seconds. */
  seconds: number;
}

export async function featurizeFile(path: string, featurizer: Featurizer, key: string, blocks: BlockOptions = {}): Promise<FeaturizedFile> {
  let resampler: Resampler | null = null;
  let stream: ReturnType<NonNullable<Featurizer['stream']>> | null = null;
  let whole: Float32Array | null = null;
  let wholeLen = 0;
  let samples = 0;
  const take = (x: Float32Array): void => {
    if (x.length === 0) return;
    if (stream) {
      stream.push(x);
      return;
    }
    if (!whole || wholeLen + x.length > whole.length) {
      const grown = new Float32Array(Math.max(wholeLen + x.length, Math.ceil((whole?.length ?? 0) * 1.5)));
      if (whole) grown.set(whole.subarray(0, wholeLen));
      whole = grown;
    }
    whole.set(x, wholeLen);
    wholeLen += x.length;
  };
  try {
    const info = await readAudioBlocks(
      path,
      (info) => {
        const expected = info.numFrames > 0 ? resampledLength(info.numFrames, info.sampleRate, featurizer.sampleRate) : 0;
        if (info.sampleRate !== featurizer.sampleRate) resampler = new Resampler(info.sampleRate, featurizer.sampleRate);
        if (featurizer.stream) stream = featurizer.stream({ key, expectedSamples: expected });
        else whole = new Float32Array(expected);
      },
      (mono) => {
        samples += mono.length;
        take(resampler ? resampler.push(mono) : mono);
      },
      blocks,
    );
    if (samples === 0) throw new InputError('no samples', { file: path });
    if (resampler) take((resampler as Resampler).finish());
    let matrix: FeatureMatrix;
    if (stream) matrix = (stream as { finish(): FeatureMatrix }).finish();
    else matrix = await featurizer.compute((whole ?? new Float32Array(0)).subarray(0, wholeLen), { key, expectedSamples: wholeLen });
    if (matrix.data.length !== matrix.frames * matrix.dims) throw new Error(`featurizer ${featurizer.kind} returned ${matrix.data.length} values for ${matrix.frames} x ${matrix.dims}`);
    return { matrix, info, seconds: samples / info.sampleRate };
  } catch (e) {
    if (e instanceof InputError) throw e;
    if (e instanceof ShortInputError) throw new InputError(`${e.message} (--allow-short gives zero frames instead)`, { file: path });
    throw new InputError(errorMessage(e), { file: path });
  }
}
