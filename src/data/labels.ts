import { openSync, readSync, closeSync, existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { InputError } from '../util/errors.ts';

/** A label set to load: the file, its rate relative to the inputs, and the slack allowed in counts. */
export interface LabelSpec {
  file: string;
  /** Labels per input frame or sample (1 at the feature rate; 0.5 for 50 Hz labels on 100 Hz features; 50/16000 on waveforms). */
  perFrame: number;
  /** Allowed difference between the label count and round(frames * perFrame). */
  tolerance: number;
}

/**
 * Checks that `km` has one line per utterance and round(frames * perFrame) labels on each (within the
 * tolerance); the error names the label file, the first bad lines, and the rate the file seems to have.
 */
export function checkLabelCounts(km: KmLabels, spec: LabelSpec, frames: number[], idOf: (i: number) => string): void {
  if (km.size !== frames.length) {
    throw new InputError(`has ${km.size} lines but the inputs have ${frames.length} utterances (one label line per utterance, in the same order)`, { file: spec.file });
  }
  const bad: string[] = [];
  for (let i = 0; i < frames.length; i++) {
    const expected = Math.round(frames[i] * spec.perFrame);
    if (Math.abs(km.count(i) - expected) > spec.tolerance) bad.push(`line ${i + 1} (${idOf(i)}): ${km.count(i)} labels for ${frames[i]} frames, expected ${expected}`);
  }
  if (bad.length) {
    const ratio = frames[0] > 0 ? km.count(0) / frames[0] : NaN;
    throw new InputError(
      `${bad.length} utterance(s) whose label count does not match ${spec.perFrame} label(s) per input frame (first: ${bad.slice(0, 3).join('; ')}). ` +
        `The first line has ${ratio.toPrecision(3)} labels per frame: is labelsPerFrame right (100 Hz vs 50 Hz labels)?`,
      { file: spec.file },
    );
  }
}

/**
 * A fairseq label file (`.km`): one line per utterance (in manifest order), space-separated
 * non-negative integer labels. One pass indexes the line offsets and validates every token; lines are
 * then read on demand, so a corpus-sized file is never held in memory.
 */
export class KmLabels {
  readonly file: string;
  /** Number of lines (utterances). */
  readonly size: number;
  /** Largest label seen plus one. */
  readonly maxLabelPlusOne: number;
  /** Number of classes from `dict.<ext>.txt` beside the file, when present. */
  readonly dictSize: number | undefined;
  private readonly starts: Float64Array;
  private readonly ends: Float64Array;
  private readonly counts: Int32Array;

  constructor(file: string) {
    this.file = file;
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (e) {
      throw new InputError(`cannot read label file: ${(e as Error).message}`, { file });
    }
    const starts: number[] = [];
    const ends: number[] = [];
    const counts: number[] = [];
    let maxLabel = -1;
    try {
      const buf = Buffer.alloc(1 << 20);
      let pos = 0;
      let lineStart = 0;
      let count = 0;
      let inNumber = false;
      let value = 0;
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, pos);
        if (n === 0) break;
        for (let k = 0; k < n; k++) {
          const c = buf[k];
          if (c >= 48 && c <= 57) {
            value = inNumber ? value * 10 + (c - 48) : c - 48;
            inNumber = true;
            continue;
          }
          if (inNumber) {
            count += 1;
            if (value > maxLabel) maxLabel = value;
            inNumber = false;
          }
          if (c === 10) {
            starts.push(lineStart);
            ends.push(pos + k);
            counts.push(count);
            lineStart = pos + k + 1;
            count = 0;
          } else if (c !== 32 && c !== 9 && c !== 13) {
            throw new InputError(`line ${starts.length + 1}: unexpected character "${String.fromCharCode(c)}" (labels are space-separated non-negative integers)`, { file });
          }
        }
        pos += n;
      }
      if (inNumber) {
        count += 1;
        if (value > maxLabel) maxLabel = value;
      }
      if (pos > lineStart) {
        starts.push(lineStart);
        ends.push(pos);
        counts.push(count);
      }
    } finally {
      closeSync(fd);
    }
    if (starts.length === 0) throw new InputError('empty label file', { file });
    this.starts = Float64Array.from(starts);
    this.ends = Float64Array.from(ends);
    this.counts = Int32Array.from(counts);
    this.size = starts.length;
    this.maxLabelPlusOne = maxLabel + 1;
    this.dictSize = readDictSize(file);
    if (this.dictSize !== undefined && this.maxLabelPlusOne > this.dictSize) {
      throw new InputError(`label ${maxLabel} is outside the dictionary's ${this.dictSize} classes (${dictPathFor(file)})`, { file });
    }
  }

  get numClasses(): number {
    return this.dictSize ?? this.maxLabelPlusOne;
  }

  /** Number of labels on line i (0-based), without reading it. */
  count(i: number): number {
    return this.counts[i];
  }

  /** The labels of line i (0-based). */
  line(i: number): Int32Array {
    if (!(i >= 0 && i < this.size)) throw new Error(`${this.file}: line index ${i} out of range (${this.size} lines)`);
    const len = this.ends[i] - this.starts[i];
    const buf = Buffer.alloc(len);
    const fd = openSync(this.file, 'r');
    try {
      readSync(fd, buf, 0, len, this.starts[i]);
    } finally {
      closeSync(fd);
    }
    const out = new Int32Array(this.counts[i]);
    let k = 0;
    for (const tok of buf.toString('latin1').split(/\s+/)) if (tok) out[k++] = Number(tok);
    return out;
  }
}

/** `dict.km.txt` for `dir/train.km`: fairseq's dictionary beside the labels. */
export function dictPathFor(labelFile: string): string {
  const ext = extname(labelFile).slice(1) || 'km';
  return join(dirname(labelFile), `dict.${ext}.txt`);
}

function readDictSize(labelFile: string): number | undefined {
  const dict = dictPathFor(labelFile);
  if (!existsSync(dict) || basename(dict) === basename(labelFile)) return undefined;
  const lines = readFileSync(dict, 'utf8').split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new InputError('empty dictionary (expected one "label count" line per class)', { file: dict });
  let maxSymbol = -1;
  lines.forEach((l, i) => {
    const sym = Number(l.trim().split(/\s+/)[0]);
    if (!Number.isInteger(sym) || sym < 0) throw new InputError(`line ${i + 1}: expected "<label> <count>" with an integer label, got "${l.slice(0, 60)}"`, { file: dict });
    maxSymbol = Math.max(maxSymbol, sym);
  });
  return Math.max(lines.length, maxSymbol + 1);
}
