/**
 * Splitting a signal into overlapping frames, in a streaming way: samples arrive in chunks, frames leave
 * as soon as all their samples are known, and the edge frames are completed with reflected samples when
 * the stream ends. Two edge conventions are supported:
 * - `kaldi`: reflection repeats the edge sample (x[-1] = x[0]), Kaldi's snip-edges=false framing;
 * - `torch`: reflection skips it (x[-1] = x[1]), torch.stft's center=True reflect padding.
 * With `leftPad` 0 and no reflection needed, the framing is Kaldi's snip-edges=true.
 */
export type ReflectMode = 'kaldi' | 'torch';

export interface FramingSpec {
  /** Samples per frame. */
  frameLength: number;
  /** Samples between frame starts. */
  shift: number;
  /** Frame i starts at sample i * shift - leftPad. */
  leftPad: number;
  reflect: ReflectMode;
  /** Number of frames for a signal of n samples (known once the stream ends). */
  frameCount(n: number): number;
}

/** Kaldi framing (torchaudio.compliance.kaldi._get_strided). */
export function kaldiFraming(frameLength: number, shift: number, snipEdges: boolean): FramingSpec {
  if (snipEdges) {
    return {
      frameLength,
      shift,
      leftPad: 0,
      reflect: 'kaldi',
      frameCount: (n) => (n < frameLength ? 0 : 1 + Math.floor((n - frameLength) / shift)),
    };
  }
  return {
    frameLength,
    shift,
    leftPad: Math.floor(frameLength / 2) - Math.floor(shift / 2),
    reflect: 'kaldi',
    frameCount: (n) => Math.floor((n + Math.floor(shift / 2)) / shift),
  };
}

/** torch.stft framing: center pads nFft/2 on each side by reflection; otherwise no padding. */
export function stftFraming(nFft: number, hop: number, center: boolean): FramingSpec {
  const pad = center ? Math.floor(nFft / 2) : 0;
  return {
    frameLength: nFft,
    shift: hop,
    leftPad: pad,
    reflect: 'torch',
    frameCount: (n) => (n + 2 * pad < nFft ? 0 : 1 + Math.floor((n + 2 * pad - nFft) / hop)),
  };
}

export class StreamingFramer {
  private buf = new Float32Array(4096);
  private bufLen = 0;
  /** Global index of buf[0]. */
  private bufStart = 0;
  /** The first leftPad + 2 samples, for left reflection. */
  private readonly head: Float32Array;
  private headLen = 0;
  private received = 0;
  private ended = false;
  private total = Infinity;
  private nextIndex = 0;
  private readonly scratch: Float32Array;
  private current: Float32Array;

  constructor(readonly spec: FramingSpec) {
    this.head = new Float32Array(spec.leftPad + 2);
    this.scratch = new Float32Array(spec.frameLength);
    this.current = this.scratch;
  }

  /** Samples seen so far. */
  get length(): number {
    return this.received;
  }

  /** Frames handed out so far. */
  get framesOut(): number {
    return this.nextIndex;
  }

  push(chunk: Float32Array): void {
    if (this.ended) throw new Error('StreamingFramer: push after end');
    if (this.headLen < this.head.length) {
      const n = Math.min(this.head.length - this.headLen, chunk.length);
      this.head.set(chunk.subarray(0, n), this.headLen);
      this.headLen += n;
    }
    // Keep one frame of history before the next frame start (right reflection may reach back).
    const keepFrom = Math.max(0, this.nextIndex * this.spec.shift - this.spec.leftPad - this.spec.frameLength);
    const drop = keepFrom - this.bufStart;
    if (drop > 0 && drop <= this.bufLen) {
      this.buf.copyWithin(0, drop, this.bufLen);
      this.bufLen -= drop;
      this.bufStart = keepFrom;
    }
    if (this.bufLen + chunk.length > this.buf.length) {
      const grown = new Float32Array(Math.max(this.bufLen + chunk.length, 2 * this.buf.length));
      grown.set(this.buf.subarray(0, this.bufLen));
      this.buf = grown;
    }
    this.buf.set(chunk, this.bufLen);
    this.bufLen += chunk.length;
    this.received += chunk.length;
  }

  /** Marks the end of the signal; the remaining frames (with reflected right edges) become available. */
  end(): void {
    this.ended = true;
    this.total = this.spec.frameCount(this.received);
  }

  /** The array the last `nextOffset` refers to (the internal buffer, or a scratch copy at the edges). */
  get frameArray(): Float32Array {
    return this.current;
  }

  /**
   * Offset in `frameArray` of the next complete frame, or -1 when none is ready. Interior frames are not
   * copied; edge frames are assembled (with reflection) in a scratch array.
   */
  nextOffset(): number {
    const { frameLength, shift, leftPad, reflect } = this.spec;
    const i = this.nextIndex;
    const start = i * shift - leftPad;
    if (this.ended) {
      if (i >= this.total) return -1;
    } else if (start + frameLength > this.received) {
      return -1;
    }
    this.nextIndex++;
    const n = this.received;
    const buf = this.buf;
    if (start >= this.bufStart && start + frameLength <= n) {
      this.current = buf;
      return start - this.bufStart;
    }
    const frame = this.scratch;
    for (let j = 0; j < frameLength; j++) {
      let g = start + j;
      let v: number;
      if (g < 0) {
        g = reflect === 'kaldi' ? -g - 1 : -g;
        v = g < this.headLen ? this.head[g] : buf[g - this.bufStart];
      } else if (g >= n) {
        g = reflect === 'kaldi' ? 2 * n - 1 - g : 2 * n - 2 - g;
        if (g < this.bufStart) throw new Error(`StreamingFramer: reflected sample ${g} was already dropped`);
        v = buf[g - this.bufStart];
      } else {
        v = buf[g - this.bufStart];
      }
      frame[j] = v;
    }
    this.current = frame;
    return 0;
  }

  /** Copies the next complete frame into `frame` (length >= frameLength); false when none is ready. */
  next(frame: Float64Array): boolean {
    const off = this.nextOffset();
    if (off < 0) return false;
    const src = this.current;
    for (let j = 0; j < this.spec.frameLength; j++) frame[j] = src[off + j];
    return true;
  }
}
