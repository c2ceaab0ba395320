import { readFileSync } from 'node:fs';
import { crc32c } from '../../src/report/crc32c.ts';

/**
 * An independent reader of TensorBoard event files, written from the formats (not from the writer):
 * TFRecord framing (tensorflow/core/lib/io/record_writer.cc: uint64 length, masked CRC-32C of the length,
 * data, masked CRC-32C of the data; mask = rotate right 15 then add 0xa282ead8) and the protobuf wire
 * format of Event / Summary / HistogramProto, decoded by hand. Throws on any checksum mismatch or
 * trailing bytes, so a test reading a file through it checks the framing too.
 */
export interface ReadEvent {
  wallTime?: number;
  step: number;
  fileVersion?: string;
  values: { tag: string; simpleValue?: number; histo?: ReadHistogram }[];
}
export interface ReadHistogram {
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  bucketLimit: number[];
  bucket: number[];
}

function mask(crc: number): number {
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

class Wire {
  pos = 0;
  constructor(readonly buf: Buffer, private readonly end = buf.length) {}
  more(): boolean {
    return this.pos < this.end;
  }
  varint(): bigint {
    let v = 0n, shift = 0n;
    for (;;) {
      const b = this.buf[this.pos++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
    }
  }
  key(): [number, number] {
    const k = Number(this.varint());
    return [k >>> 3, k & 7];
  }
  double(): number {
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }
  float(): number {
    const v = this.buf.readFloatLE(this.pos);
    this.pos += 4;
    return v;
  }
  bytes(): Wire {
    const n = Number(this.varint());
    const w = new Wire(this.buf, this.pos + n);
    w.pos = this.pos;
    this.pos += n;
    return w;
  }
  string(): string {
    const w = this.bytes();
    return this.buf.toString('utf8', w.pos, w.end);
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 5) this.pos += 4;
    else if (wire === 2) this.bytes();
    else throw new Error(`wire type ${wire} not expected`);
  }
}

function doubles(w: Wire, wire: number, into: number[]): void {
  if (wire === 1) into.push(w.double());
  else {
    const p = w.bytes();
    while (p.more()) into.push(p.double());
  }
}

function histogram(w: Wire): ReadHistogram {
  const h: ReadHistogram = { min: 0, max: 0, num: 0, sum: 0, sumSquares: 0, bucketLimit: [], bucket: [] };
  while (w.more()) {
    const [f, t] = w.key();
    if (f >= 1 && f <= 5 && t === 1) h[(['min', 'max', 'num', 'sum', 'sumSquares'] as const)[f - 1]] = w.double();
    else if (f === 6) doubles(w, t, h.bucketLimit);
    else if (f === 7) doubles(w, t, h.bucket);
    else w.skip(t);
  }
  return h;
}

function summaryValue(w: Wire): ReadEvent['values'][number] {
  const v: ReadEvent['values'][number] = { tag: '' };
  while (w.more()) {
    const [f, t] = w.key();
    if (f === 1 && t === 2) v.tag = w.string();
    else if (f === 2 && t === 5) v.simpleValue = w.float();
    else if (f === 5 && t === 2) v.histo = histogram(w.bytes());
    else w.skip(t);
  }
  return v;
}

export function decodeEvent(buf: Buffer): ReadEvent {
  const w = new Wire(buf);
  const e: ReadEvent = { step: 0, values: [] };
  while (w.more()) {
    const [f, t] = w.key();
    if (f === 1 && t === 1) e.wallTime = w.double();
    else if (f === 2 && t === 0) e.step = Number(BigInt.asIntN(64, w.varint()));
    else if (f === 3 && t === 2) e.fileVersion = w.string();
    else if (f === 5 && t === 2) {
      const s = w.bytes();
      while (s.more()) {
        const [sf, st] = s.key();
        if (sf === 1 && st === 2) e.values.push(summaryValue(s.bytes()));
        else s.skip(st);
      }
    } else w.skip(t);
  }
  return e;
}

/** Every event of a file, checksums verified; throws naming the file and offset otherwise. */
export function readEventFile(file: string): ReadEvent[] {
  const buf = readFileSync(file);
  const events: ReadEvent[] = [];
  let at = 0;
  while (at < buf.length) {
    if (buf.length - at < 16) throw new Error(`${file}: ${buf.length - at} trailing bytes at ${at}`);
    const len = buf.readBigUInt64LE(at);
    if (buf.readUInt32LE(at + 8) !== mask(crc32c(buf.subarray(at, at + 8)))) throw new Error(`${file}: bad length CRC at ${at}`);
    const n = Number(len);
    const data = buf.subarray(at + 12, at + 12 + n);
    if (data.length !== n || at + 16 + n > buf.length) throw new Error(`${file}: record at ${at} cut short`);
    if (buf.readUInt32LE(at + 12 + n) !== mask(crc32c(data))) throw new Error(`${file}: bad data CRC at ${at}`);
    events.push(decodeEvent(Buffer.from(data)));
    at += 16 + n;
  }
  return events;
}
