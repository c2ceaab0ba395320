import { InputError, errorMessage } from '../util/errors.ts';
import { decodeAudio } from '../audio/decode.ts';
import { entryPath, readManifest } from './manifest.ts';
import type { LabelSetInfo, SequenceDataset } from './sequence.ts';
import { KmLabels, checkLabelCounts, type LabelSpec } from './labels.ts';

/**
 * Raw waveforms listed by a fairseq manifest, decoded by a loader function (the audio frontend's
 * decoder in the CLI; anything in tests). Lengths come from the manifest, so batches are planned without
 * decoding; items are decoded in `prefetch` and held until read. A file that fails to decode, or whose
 * length differs from the manifest's, is recorded in `failures` and skipped, not fatal.
 */
export type WaveformLoader = (file: string) => Float32Array | Promise<Float32Array>;

/** The rate waveform encoders take (fairseq's HuBERT / wav2vec 2.0 and the CPC stack: 16 kHz). */
export const WAVEFORM_RATE = 16000;

/** Decodes a WAV/FLAC file to mono; a file at another rate is refused (resample the corpus first). */
export async function decodeWaveform(file: string): Promise<Float32Array> {
  const a = await decodeAudio(file);
  if (a.sampleRate !== WAVEFORM_RATE) throw new InputError(`sample rate ${a.sampleRate} Hz; waveform training expects ${WAVEFORM_RATE} Hz (resample first)`, { file });
  return a.mono;
}

export class WaveformDataset implements SequenceDataset {
  readonly isWaveform = true;
  readonly dims = 1;
  readonly labelSets: LabelSetInfo[];
  readonly failures = new Map<number, string>();
  private readonly files: string[];
  private readonly ids: string[];
  private readonly lengths: number[];
  private readonly labelFiles: KmLabels[];
  private cache = new Map<number, Float32Array>();

  constructor(manifestFile: string, private readonly loader: WaveformLoader, labels: LabelSpec[] = []) {
    const m = readManifest(manifestFile);
    this.files = m.entries.map((e) => entryPath(m, e));
    this.ids = m.entries.map((e) => e.path);
    this.lengths = m.entries.map((e) => e.numSamples);
    this.labelFiles = labels.map((l) => new KmLabels(l.file));
    this.labelSets = labels.map((l, k) => ({ file: l.file, perFrame: l.perFrame, numClasses: this.labelFiles[k].numClasses }));
    labels.forEach((spec, k) => checkLabelCounts(this.labelFiles[k], spec, this.lengths, (i) => this.ids[i]));
  }

  get size(): number {
    return this.files.length;
  }

  length(i: number): number {
    return this.lengths[i];
  }

  id(i: number): string {
    return this.ids[i];
  }

  async prefetch(indices: number[]): Promise<void> {
    const next = new Map<number, Float32Array>();
    for (const i of indices) {
      if (this.failures.has(i)) continue;
      const held = this.cache.get(i);
      if (held) {
        next.set(i, held);
        continue;
      }
      try {
        const wav = await this.loader(this.files[i]);
        if (wav.length !== this.lengths[i]) throw new Error(`decoded ${wav.length} samples, the manifest says ${this.lengths[i]}`);
        next.set(i, wav);
      } catch (e) {
        this.failures.set(i, `${this.files[i]}: ${errorMessage(e)}`);
      }
    }
    this.cache = next;
  }

  read(i: number, start: number, end: number): Float32Array {
    const wav = this.cache.get(i);
    if (!wav) throw new Error(`${this.files[i]}: read before prefetch`);
    return wav.slice(start, end);
  }

  labels(set: number, i: number): Int32Array {
    return this.labelFiles[set].line(i);
  }
}
