import protobuf from 'protobufjs';

/**
 * The TensorBoard messages this project writes, encoded by hand from tensorflow/core/util/event.proto,
 * framework/summary.proto and framework/histogram.proto (field numbers as those files give them):
 *   Event { double wall_time = 1; int64 step = 2; oneof what { string file_version = 3; Summary summary = 5; } }
 *   Summary { repeated Value value = 1; }
 *   Summary.Value { string tag = 1; oneof value { float simple_value = 2; HistogramProto histo = 5; } }
 *   HistogramProto { double min = 1, max = 2, num = 3, sum = 4, sum_squares = 5;
 *                    repeated double bucket_limit = 6 [packed]; repeated double bucket = 7 [packed]; }
 * TensorBoard reads `simple_value` as a scalar and `histo` as a histogram (its data_compat migration).
 */
const VARINT = 0, FIXED64 = 1, BYTES = 2, FIXED32 = 5;
const tag = (field: number, wire: number) => (field << 3) | wire;

/** The first event of every file: which format the file is in. */
export const FILE_VERSION = 'brain.Event:2';

/** A histogram as TensorBoard stores it: bucket i counts values in (limits[i-1], limits[i]]. */
export interface Histogram {
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  bucketLimits: number[];
  buckets: number[];
}

export type SummaryValue = { tag: string; scalar: number } | { tag: string; histogram: Histogram };

function eventHeader(w: protobuf.Writer, wallTime: number, step: number): void {
  w.uint32(tag(1, FIXED64)).double(wallTime);
  if (step !== 0) w.uint32(tag(2, VARINT)).int64(step);
}

function packedDoubles(w: protobuf.Writer, field: number, values: number[]): void {
  w.uint32(tag(field, BYTES)).fork();
  for (const v of values) w.double(v);
  w.ldelim();
}

/** Event { wall_time, file_version }. */
export function fileVersionEvent(wallTime: number): Uint8Array {
  const w = protobuf.Writer.create();
  eventHeader(w, wallTime, 0);
  w.uint32(tag(3, BYTES)).string(FILE_VERSION);
  return w.finish();
}

/** Event { wall_time, step, summary { value... } }. */
export function summaryEvent(wallTime: number, step: number, values: SummaryValue[]): Uint8Array {
  const w = protobuf.Writer.create();
  eventHeader(w, wallTime, step);
  w.uint32(tag(5, BYTES)).fork();
  for (const v of values) {
    w.uint32(tag(1, BYTES)).fork();
    w.uint32(tag(1, BYTES)).string(v.tag);
    if ('scalar' in v) w.uint32(tag(2, FIXED32)).float(v.scalar);
    else {
      const h = v.histogram;
      w.uint32(tag(5, BYTES)).fork();
      w.uint32(tag(1, FIXED64)).double(h.min);
      w.uint32(tag(2, FIXED64)).double(h.max);
      w.uint32(tag(3, FIXED64)).double(h.num);
      w.uint32(tag(4, FIXED64)).double(h.sum);
      w.uint32(tag(5, FIXED64)).double(h.sumSquares);
      packedDoubles(w, 6, h.bucketLimits);
      packedDoubles(w, 7, h.buckets);
      w.ldelim();
    }
    w.ldelim();
  }
  w.ldelim();
  return w.finish();
}

/** The `step` of an encoded Event (0 when absent), for dropping events past a resumed step. */
export function eventStep(bytes: Uint8Array): number {
  const r = protobuf.Reader.create(bytes);
  let step = 0;
  while (r.pos < r.len) {
    const t = r.uint32();
    if (t === tag(2, VARINT)) step = Number(r.int64().toString());
    else r.skipType(t & 7);
  }
  return step;
}

/**
 * Frames per cluster id as a histogram over ids: one bucket per id, limits at id + 0.5, so TensorBoard's
 * histogram view shows the usage of each id.
 */
export function clusterUsageHistogram(counts: number[]): Histogram {
  let num = 0, sum = 0, sumSquares = 0, min = Infinity, max = -Infinity;
  counts.forEach((c, id) => {
    if (c <= 0) return;
    num += c;
    sum += c * id;
    sumSquares += c * id * id;
    min = Math.min(min, id);
    max = Math.max(max, id);
  });
  if (num === 0) min = max = 0;
  return { min, max, num, sum, sumSquares, bucketLimits: counts.map((_, id) => id + 0.5), buckets: counts.slice() };
}
