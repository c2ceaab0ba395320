// A TypeScript consumer of the installed package, type-checked by .ci/package-check under
// `tsc --strict --module nodenext`: the shipped .d.ts files must describe the public surface.
import { decodeAudio, resample, kaldiFbank, kaldiMfcc, appendDeltas, kmeans, OnnxRunner } from 'speech-ssl';

export async function features(file: string): Promise<number> {
  const audio = await decodeAudio(file);
  const wave: Float32Array = resample(audio.mono, audio.sampleRate, 16000);
  const fbank = kaldiFbank(wave, { numMelBins: 80 });
  const mfcc = appendDeltas(kaldiMfcc(wave));
  const km = kmeans(mfcc.data, mfcc.frames, mfcc.dims, { k: 2, seed: 0 });
  const runner: typeof OnnxRunner = OnnxRunner;
  // The declarations are real types, not `any`: a wrong option type must be an error.
  // @ts-expect-error numMelBins is a number
  kaldiFbank(wave, { numMelBins: 'eighty' });
  return fbank.frames + km.inertia + (runner ? 0 : 1);
}
