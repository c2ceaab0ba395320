import * as tf from '@tensorflow/tfjs-core';
import type { SequenceBatch } from '../../data/sequence.ts';
import type { DataInfo } from '../../data/registry.ts';
import type { Fields, JsonValue } from '../../util/fields.ts';
import { InputError } from '../../util/errors.ts';
import type { Rng } from '../../util/rng.ts';
import type { EncoderInput } from '../method.ts';
import { fixedSegment } from '../../audio/augment/segment.ts';
import { MixupMemory, type MixupMemoryState } from '../../audio/augment/mixup-memory.ts';
import { BYOLA_CROP_DEFAULTS, randomResizeCrop } from '../../audio/augment/random-resize-crop.ts';
import { gaussianNoise, randomGain } from '../../audio/augment/gain-noise.ts';
import type { TwoViewSampler, ViewSamplerDefinition } from './two-view-sampler.ts';

/**
 * BYOL-A's views of log-mel features (Niizumi et al. 2021): one fixed-length segment per utterance
 * (`frames` frames), then per view independently mixup with the memory of earlier segments (in the
 * linear domain), random resize crop, a random gain and gaussian noise. The original segments enter the
 * memory after the batch's views are drawn (training only). Reads `features` batches [B, T, bins].
 */
export interface ByolaAudioViewsConfig {
  /** Segment length in frames (BYOL-A: 96 frames, about 1 s at 100 Hz). */
  frames: number;
  /** Upper bound of the mixup weight a (BYOL-A 0.4; 0 turns mixup off). */
  mixupRatio: number;
  /** Segments the mixup memory holds (BYOL-A 2048). */
  memorySize: number;
  /** Random resize crop: canvas over segment [time, freq], crop size ranges. */
  virtualScale: [number, number];
  timeScale: [number, number];
  freqScale: [number, number];
  /** Random gain within +-gainDb decibels (0: none). */
  gainDb: number;
  /** Std of the gaussian noise added to the log-mel values (0: none). */
  noiseStd: number;
}

export const BYOLA_VIEW_DEFAULTS: ByolaAudioViewsConfig = {
  frames: 96,
  mixupRatio: 0.4,
  memorySize: 512,
  virtualScale: BYOLA_CROP_DEFAULTS.virtualScale,
  timeScale: BYOLA_CROP_DEFAULTS.timeScale,
  freqScale: BYOLA_CROP_DEFAULTS.freqScale,
  gainDb: 6,
  noiseStd: 0.05,
};

export class ByolaAudioViews implements TwoViewSampler<SequenceBatch> {
  readonly accepts = ['sequence'] as const;
  readonly memory: MixupMemory;
  private readonly memoryBuffer: tf.Variable;
  private dirty = false;

  constructor(readonly config: ByolaAudioViewsConfig, readonly bins: number) {
    this.memory = new MixupMemory(config.memorySize, config.frames * bins);
    this.memoryBuffer = tf.variable(tf.zeros([config.memorySize, config.frames, bins]), false);
  }

  /** The two views of one segment. */
  augment(segment: Float32Array, rng: Rng): [Float32Array, Float32Array] {
    const c = this.config;
    const one = (): Float32Array => {
      let x = this.memory.mix(segment, c.mixupRatio, rng);
      x = randomResizeCrop(x, c.frames, this.bins, { virtualScale: c.virtualScale, timeScale: c.timeScale, freqScale: c.freqScale }, rng);
      if (c.gainDb > 0) x = randomGain(x, c.gainDb, rng);
      return gaussianNoise(x, c.noiseStd, rng);
    };
    return [one(), one()];
  }

  views(batch: SequenceBatch, rng: Rng, training: boolean): [EncoderInput, EncoderInput] {
    const [B, T, D] = batch.shape;
    if (batch.shape.length !== 3 || D !== this.bins) throw new Error(`byol-a views: expected feature batches [B, T, ${this.bins}], got [${batch.shape}]`);
    const L = this.config.frames;
    const a = new Float32Array(B * L * D);
    const b = new Float32Array(B * L * D);
    const segments: Float32Array[] = [];
    for (let i = 0; i < B; i++) {
      const item = batch.inputs.subarray(i * T * D, (i + 1) * T * D);
      const seg = fixedSegment(item, batch.lengths[i], D, L, rng, training);
      const [v1, v2] = this.augment(seg, rng);
      a.set(v1, i * L * D);
      b.set(v2, i * L * D);
      segments.push(seg);
    }
    if (training) {
      for (const s of segments) this.memory.push(s);
      this.dirty = true;
    }
    return [{ x: tf.tensor3d(a, [B, L, D]) }, { x: tf.tensor3d(b, [B, L, D]) }];
  }

  buffers(prefix: string): Map<string, tf.Variable> {
    return new Map([[`${prefix}memory`, this.memoryBuffer]]);
  }

  /** Copies the memory into its buffer when it changed (before a checkpoint can read it). */
  afterStep(): void {
    if (!this.dirty) return;
    tf.tidy(() => this.memoryBuffer.assign(tf.tensor3d(this.memory.data, [this.config.memorySize, this.config.frames, this.bins])));
    this.dirty = false;
  }

  getState(): JsonValue {
    return { ...this.memory.state };
  }

  setState(state: JsonValue): void {
    this.memory.restore(state as unknown as MixupMemoryState, this.memoryBuffer.dataSync());
    this.dirty = false;
  }

  dispose(): void {
    this.memoryBuffer.dispose();
  }
}

function range(f: Fields, name: string, def: [number, number], min: number): [number, number] {
  const r = f.numberList(name, def, { min });
  if (r.length !== 2 || r[1] < r[0]) f.fail(name, `expected [lo, hi] with lo <= hi, got [${r}]`);
  return [r[0], r[1]];
}

function pair(f: Fields, name: string, def: [number, number]): [number, number] {
  const r = f.numberList(name, def, { min: 1 });
  if (r.length !== 2) f.fail(name, `expected [time, freq] (each >= 1), got [${r}]`);
  return [r[0], r[1]];
}

export const byolaAudioViewsDefinition: ViewSamplerDefinition<ByolaAudioViewsConfig> = {
  readConfig(f: Fields): ByolaAudioViewsConfig {
    const d = BYOLA_VIEW_DEFAULTS;
    const c: ByolaAudioViewsConfig = {
      frames: f.int('frames', d.frames, { min: 1 }),
      mixupRatio: f.number('mixupRatio', d.mixupRatio, { min: 0, max: 1 }),
      memorySize: f.int('memorySize', d.memorySize, { min: 1 }),
      virtualScale: pair(f, 'virtualScale', d.virtualScale),
      timeScale: range(f, 'timeScale', d.timeScale, 0),
      freqScale: range(f, 'freqScale', d.freqScale, 0),
      gainDb: f.number('gainDb', d.gainDb, { min: 0 }),
      noiseStd: f.number('noiseStd', d.noiseStd, { min: 0 }),
    };
    f.done(['kind']);
    return c;
  },
  create(config: ByolaAudioViewsConfig, data: DataInfo): ByolaAudioViews {
    if (data.isWaveform) throw new InputError('byol-a views read log-mel features; the data is a waveform (use data.kind features)', { field: 'views.kind' });
    return new ByolaAudioViews(config, data.inputDims);
  },
};
