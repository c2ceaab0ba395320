import { readFileSync } from 'node:fs';
import { InputError } from '../../util/errors.ts';
import { foldTo39, phoneIds, type PhoneSet } from './timit-phones.ts';

/**
 * TIMIT .PHN alignments (`start end phone` per line, in samples at 16 kHz, end exclusive) turned into one
 * phone id per feature frame, the reference `speech-ssl eval pnmi --ref` reads.
 *
 * Frame t of a feature stream with hop H and window W samples (Kaldi MFCC at 100 Hz: H 160, W 400; a
 * HuBERT conv stack at 50 Hz: H 320, receptive field 400) covers samples [tH, tH + W); its label is the
 * phone segment holding its centre sample tH + W/2. A centre outside every segment (before the first,
 * after the last, or in a gap) takes the nearest segment.
 */
export interface PhoneSegment {
  start: number;
  end: number;
  phone: string;
}

/** Parses a .PHN file; errors name the file and line. */
export function parsePhn(text: string, file: string): PhoneSegment[] {
  const out: PhoneSegment[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const parts = line.split(/\s+/);
    const start = Number(parts[0]), end = Number(parts[1]);
    if (parts.length !== 3 || !Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end <= start) {
      throw new InputError(`line ${i + 1}: expected "start end phone" with integer samples, start < end, got "${line.slice(0, 60)}"`, { file });
    }
    const prev = out.at(-1);
    if (prev && start < prev.start) throw new InputError(`line ${i + 1}: segment starts at ${start}, before the previous one (${prev.start}); segments must be in time order`, { file });
    out.push({ start, end, phone: parts[2] });
  });
  if (out.length === 0) throw new InputError('no phone segments', { file });
  return out;
}

export function readPhn(file: string): PhoneSegment[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read alignment: ${(e as Error).message}`, { file });
  }
  return parsePhn(text, file);
}

/**
 * Maps segments to ids of the phone set. With the 39 set, a `q` segment is merged into the segment
 * before it (into the one after when it comes first), so every sample keeps a class.
 */
export function segmentIds(segments: PhoneSegment[], set: PhoneSet, file: string): { start: number; end: number; id: number }[] {
  const ids = phoneIds(set);
  const out: { start: number; end: number; id: number }[] = [];
  let pendingStart: number | null = null;
  segments.forEach((s, i) => {
    let symbol: string | null;
    try {
      symbol = set === '61' ? (ids.has(s.phone) ? s.phone : foldTo39(s.phone)) : foldTo39(s.phone);
    } catch (e) {
      throw new InputError(`line ${i + 1}: ${(e as Error).message}`, { file });
    }
    if (symbol === null) {
      const prev = out.at(-1);
      if (prev) prev.end = Math.max(prev.end, s.end);
      else pendingStart ??= s.start;
      return;
    }
    out.push({ start: pendingStart ?? s.start, end: s.end, id: ids.get(symbol)! });
    pendingStart = null;
  });
  if (out.length === 0) throw new InputError('only "q" segments: no phone of the 39 set', { file });
  return out;
}

export interface FrameLayout {
  /** Samples between frame starts (160 at 100 Hz, 320 at 50 Hz, for 16 kHz audio). */
  hop: number;
  /** Samples a frame covers (400: a 25 ms window, or the HuBERT conv stack's receptive field). */
  window: number;
}

/** Kaldi's frame count with snip-edges: 1 + floor((N - W) / H), 0 when shorter than one window. */
export function framesForSamples(numSamples: number, layout: FrameLayout): number {
  return numSamples < layout.window ? 0 : 1 + Math.floor((numSamples - layout.window) / layout.hop);
}

/** One id per frame for `numFrames` frames of the given layout. */
export function frameLabels(segments: { start: number; end: number; id: number }[], numFrames: number, layout: FrameLayout): Int32Array {
  const out = new Int32Array(numFrames);
  let k = 0;
  for (let t = 0; t < numFrames; t++) {
    const centre = t * layout.hop + layout.window / 2;
    while (k < segments.length - 1 && segments[k].end <= centre) k++;
    const s = segments[k];
    if (centre >= s.start && centre < s.end) {
      out[t] = s.id;
      continue;
    }
    // Outside segment k: compare with the neighbour on the other side of the gap.
    const before = centre < s.start ? segments[k - 1] : s;
    const after = centre < s.start ? s : segments[k + 1];
    if (!before) out[t] = after!.id;
    else if (!after) out[t] = before.id;
    else out[t] = centre - before.end < after.start - centre ? before.id : after.id;
  }
  return out;
}
