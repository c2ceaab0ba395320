import { readFileSync } from 'node:fs';
import { InputError } from '../../util/errors.ts';
import { writeFileAtomic } from '../../util/atomic.ts';
import { readManifest } from '../manifest.ts';
import { framesForSamples, frameLabels, readPhn, segmentIds, type FrameLayout } from './phone-frames.ts';
import { phoneInventory, type PhoneSet } from './timit-phones.ts';

/**
 * Writes the frame-level phone reference of a prepared TIMIT split: one line per manifest line, the
 * phone id of every frame, space-separated (the `.km` layout `speech-ssl eval pnmi --ref` reads), and
 * the inventory ("phone id" a line). Frame counts come from the features the reference will be paired
 * with (`lengths`, e.g. the shards' .len), or from the sample counts with Kaldi's snip-edges rule.
 */
export interface PhoneReferenceOptions {
  manifest: string;
  /** One .PHN path per manifest line (`prepare timit` writes it). */
  phnList: string;
  /** Frames per second at 16 kHz: 100 (hop 160) or 50 (hop 320). */
  rate: number;
  /** Samples a frame covers (400). */
  window: number;
  set: PhoneSet;
  lengths?: number[];
  lengthsSource?: string;
  out: string;
  phonesOut?: string;
}

export function writePhoneReference(o: PhoneReferenceOptions): { utterances: number; frames: number } {
  const m = readManifest(o.manifest);
  if (!(Number.isInteger(16000 / o.rate) && o.rate > 0)) throw new InputError(`expected a rate dividing 16000 (100, 50), got ${o.rate}`, { field: '--rate' });
  const layout: FrameLayout = { hop: 16000 / o.rate, window: o.window };
  const phns = readFileSync(o.phnList, 'utf8').split('\n').filter((l) => l.trim() !== '');
  if (phns.length !== m.entries.length) throw new InputError(`${phns.length} alignments for the ${m.entries.length} manifest lines of ${o.manifest} (one .PHN path a line, in manifest order)`, { file: o.phnList });
  if (o.lengths && o.lengths.length !== m.entries.length) throw new InputError(`${o.lengths.length} utterances of features for the ${m.entries.length} manifest lines of ${o.manifest}`, { file: o.lengthsSource });
  const lines: string[] = [];
  let frames = 0;
  m.entries.forEach((e, i) => {
    const phn = phns[i].trim();
    const segments = segmentIds(readPhn(phn), o.set, phn);
    const n = o.lengths ? o.lengths[i] : framesForSamples(e.numSamples, layout);
    const end = segments.at(-1)!.end;
    if (end > e.numSamples + layout.window) {
      throw new InputError(`the alignment runs to sample ${end} but ${e.path} has ${e.numSamples} samples (is this the right .PHN?)`, { file: phn });
    }
    lines.push(Array.from(frameLabels(segments, n, layout)).join(' ') + '\n');
    frames += n;
  });
  writeFileAtomic(o.out, lines.join(''));
  if (o.phonesOut) writeFileAtomic(o.phonesOut, phoneInventory(o.set).map((p, i) => `${p} ${i}\n`).join(''));
  return { utterances: lines.length, frames };
}
