import type { Fields } from '../util/fields.ts';
import type { Batch, BatchSource, EvalSource } from './source.ts';
import type { LabelSetInfo } from './sequence.ts';
import type { WaveformLoader } from './waveform.ts';
import { buildSequenceData } from './sequence-data.ts';
import { buildImageData } from './image-data.ts';
import type { ImageDataInfo } from './image-batch.ts';

/**
 * Data kinds a run config can name (`data.kind`). Adding one (image folders, CIFAR batches...) is one
 * file with a `build` function and one line in `DATA_KINDS`.
 */
export interface DataInfo {
  kind: string;
  /** Values per input frame (feature dims; 1 for waveforms; channels for images). */
  inputDims: number;
  isWaveform: boolean;
  /** Frame-level label sets (HuBERT targets), with their rates and class counts. */
  labelSets: LabelSetInfo[];
  /** Item-level classes (image folders), when the data has them. */
  numClasses?: number;
  numTrain: number;
  numValid: number;
  /** Image data: the images' shape, normalisation, classes and a sampler of training images. */
  image?: ImageDataInfo;
}

export interface BuiltData<B extends Batch = Batch> {
  train: BatchSource<B>;
  valid?: EvalSource<B>;
  info: DataInfo;
  /** Items that failed to load so far (file and reason), reported at the end of a run. */
  failures(): string[];
}

export interface DataBuildContext {
  seed: number;
  /** Relative paths in the config resolve against this folder (the config file's). */
  baseDir: string;
  /** Decoder for waveform data (the audio frontend's, in the CLI). */
  waveformLoader?: WaveformLoader;
}

export interface DataKind {
  /** Reads the `data` section (field errors name `data.<field>`) and opens the sources. */
  build(f: Fields, ctx: DataBuildContext): BuiltData;
}

export const DATA_KINDS: Record<string, DataKind> = {
  features: { build: (f, ctx) => buildSequenceData(f, ctx, false) },
  waveform: { build: (f, ctx) => buildSequenceData(f, ctx, true) },
  image: { build: (f, ctx) => buildImageData(f, ctx) },
};

export function buildData(f: Fields, ctx: DataBuildContext): BuiltData {
  const kind = f.choice('kind', Object.keys(DATA_KINDS), 'features');
  return DATA_KINDS[kind].build(f, ctx);
}
