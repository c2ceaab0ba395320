/**
 * Windowed-sinc resampling evaluated per output sample, for rate pairs whose polyphase table would not fit:
 * after reducing by the gcd, 44,101 -> 16,000 Hz has 16,000 phases of 44,135 taps (5.6 GB of weights).
 * The weights are the same function torchaudio tabulates (src/audio/resample.ts), kept only for the
 * ~2 * lowpassFilterWidth * orig / base input samples around each output time (there: 16,000 phases of 37
 * weights, 4.7 MB), or computed where used when even that passes MAX_PHASE_WEIGHTS, so the cost is
 * O(output samples * filter width) and the memory bounded, whatever the ratio. Values agree with
 * the table path to float32 rounding (torchaudio rounds each step of its table to float32; this path
 * computes in float64).
 *
 * Output sample o = b * target + j (block b, phase j) sits at input time b * orig + j * orig / target;
 * input sample n gets the weight w(t) with t = base * (n - that time) / orig, zero for |t| >= width.
 */
import type { ResampleOptions } from './resample.ts';

/** Largest per-phase weight table kept (phases x filter span); beyond it weights are computed per use. */
export const MAX_PHASE_WEIGHTS = 1 << 22;

/** Writes `chunk` after the first `len` samples of `buf`, growing it (at least doubling) when full; returns the buffer to keep. */
export function appendSamples(buf: Float32Array, len: number, chunk: Float32Array): Float32Array {
  let out = buf;
  if (len + chunk.length > buf.length) {
    out = new Float32Array(Math.max(len + chunk.length, 2 * buf.length));
    out.set(buf.subarray(0, len));
  }
  out.set(chunk, len);
  return out;
}

/** Modified Bessel function of the first kind, order 0 (power series; converges fast for our betas). */
export function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

export class DirectSincResampler {
  private readonly lw: number;
  private readonly base: number;
  private readonly scale: number;
  /** Half the support in input samples: lw * orig / base. */
  private readonly half: number;
  private readonly i0Beta: number;
  /** Input samples from global index `bufStart`. */
  private buf: Float32Array = new Float32Array(4096);
  private bufStart = 0;
  private bufLen = 0;
  private received = 0;
  private emitted = 0;
  private finished = false;

  /**
   * The weights repeat with the phase: per phase j, `span` weights for input samples from
   * b * orig + lead[j] on, when target * span is small enough to keep (a few MB); else null and every
   * weight is computed where it is used.
   */
  private readonly phaseWeights: Float64Array | null = null;
  private readonly lead: Int32Array | null = null;
  private readonly span: number;

  constructor(readonly orig: number, readonly target: number, private readonly o: ResampleOptions) {
    this.lw = o.lowpassFilterWidth;
    this.base = Math.min(orig, target) * o.rolloff;
    this.scale = this.base / orig;
    this.half = (this.lw * orig) / this.base;
    this.i0Beta = besselI0(o.beta);
    this.span = Math.ceil(2 * this.half) + 2;
    if (target * this.span <= MAX_PHASE_WEIGHTS) {
      const w = new Float64Array(target * this.span);
      const lead = new Int32Array(target);
      for (let j = 0; j < target; j++) {
        lead[j] = Math.floor((j * orig) / target - this.half);
        for (let k = 0; k < this.span; k++) w[j * this.span + k] = this.weight(lead[j] + k, j);
      }
      this.phaseWeights = w;
      this.lead = lead;
    }
  }

  /** Weight of input sample b * orig + d for output phase j (any block b). */
  private weight(d: number, j: number): number {
    const { orig, target, lw } = this;
    const t = (this.base * (d * target - j * orig)) / (orig * target);
    if (t <= -lw || t >= lw) return 0;
    let window: number;
    if (this.o.method === 'sinc_interp_kaiser') {
      const r = t / lw;
      window = besselI0(this.o.beta * Math.sqrt(Math.max(0, 1 - r * r))) / this.i0Beta;
    } else {
      const c = Math.cos((t * Math.PI) / lw / 2);
      window = c * c;
    }
    const tp = t * Math.PI;
    return (tp === 0 ? 1 : Math.sin(tp) / tp) * window * this.scale;
  }

  push(chunk: Float32Array): Float32Array {
    if (this.finished) throw new Error('Resampler: push after finish');
    this.append(chunk);
    this.received += chunk.length;
    return this.run(false);
  }

  finish(): Float32Array {
    if (this.finished) throw new Error('Resampler: finish called twice');
    this.finished = true;
    return this.run(true);
  }

  /** First and last input sample (inclusive) output `o` may weigh. */
  private support(o: number): [number, number, number, number] {
    const b = Math.floor(o / this.target);
    const j = o - b * this.target;
    const c = (j * this.orig) / this.target;
    return [b * this.orig + Math.floor(c - this.half), b * this.orig + Math.ceil(c + this.half), b, j];
  }

  private append(chunk: Float32Array): void {
    const keepFrom = Math.max(0, this.support(this.emitted)[0]);
    const drop = Math.min(this.bufLen, keepFrom - this.bufStart);
    if (drop > 0) {
      this.buf.copyWithin(0, drop, this.bufLen);
      this.bufLen -= drop;
      this.bufStart += drop;
    }
    this.buf = appendSamples(this.buf, this.bufLen, chunk);
    this.bufLen += chunk.length;
  }

  private run(final: boolean): Float32Array {
    const { orig, target } = this;
    const total = final ? Math.ceil((target * this.received) / orig) : Infinity;
    const out: number[] = [];
    const w = this.phaseWeights;
    for (let o = this.emitted; o < total; o++) {
      const [lo, hi, b, j] = this.support(o);
      if (!final && hi >= this.received) break;
      const from = Math.max(lo, 0, this.bufStart);
      const to = Math.min(hi, this.received - 1);
      const block = b * orig;
      let s = 0;
      if (w) {
        // Tabulated phase: weights from input sample block + lead[j] on (zero beyond the filter).
        const first = block + this.lead![j];
        const stop = Math.min(to, first + this.span - 1);
        for (let n = Math.max(from, first), k = n - first + j * this.span; n <= stop; n++, k++) s += w[k] * this.buf[n - this.bufStart];
      } else {
        for (let n = from; n <= to; n++) s += this.weight(n - block, j) * this.buf[n - this.bufStart];
      }
      out.push(s);
    }
    this.emitted += out.length;
    return Float32Array.from(out);
  }
}
