/**
 * Windowed-sinc resampling evaluated per output sample, for rate pairs whose polyphase table would not fit:
 * after reducing by the gcd, 44,101 -> 16,000 Hz has 16,000 phases of 44,135 taps (5.6 GB of weights).
 * The weights are the same function torchaudio tabulates (src/audio/resample.ts), computed on the fly for
 * the ~2 * lowpassFilterWidth * orig / base input samples around each output time, so the cost is
 * O(output samples * filter width) and the memory O(filter width), whatever the ratio. Values agree with
 * the table path to float32 rounding (torchaudio rounds each step of its table to float32; this path
 * computes in float64).
 *
 * Output sample o = b * target + j (block b, phase j) sits at input time b * orig + j * orig / target;
 * input sample n gets the weight w(t) with t = base * (n - that time) / orig, zero for |t| >= width.
 */
import type { ResampleOptions } from './resample.ts';

function besselI0(x: number): number {
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
  private buf = new Float32Array(4096);
  private bufStart = 0;
  private bufLen = 0;
  private received = 0;
  private emitted = 0;
  private finished = false;

  constructor(readonly orig: number, readonly target: number, private readonly o: ResampleOptions) {
    this.lw = o.lowpassFilterWidth;
    this.base = Math.min(orig, target) * o.rolloff;
    this.scale = this.base / orig;
    this.half = (this.lw * orig) / this.base;
    this.i0Beta = besselI0(o.beta);
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
    if (this.bufLen + chunk.length > this.buf.length) {
      const grown = new Float32Array(Math.max(this.bufLen + chunk.length, 2 * this.buf.length));
      grown.set(this.buf.subarray(0, this.bufLen));
      this.buf = grown;
    }
    this.buf.set(chunk, this.bufLen);
    this.bufLen += chunk.length;
  }

  private run(final: boolean): Float32Array {
    const { orig, target, lw, base, scale } = this;
    const total = final ? Math.ceil((target * this.received) / orig) : Infinity;
    const out: number[] = [];
    const kaiser = this.o.method === 'sinc_interp_kaiser';
    const denom = orig * target;
    for (let o = this.emitted; o < total; o++) {
      const [lo, hi, b, j] = this.support(o);
      if (!final && hi >= this.received) break;
      const from = Math.max(lo, 0, this.bufStart);
      const to = Math.min(hi, this.received - 1);
      let s = 0;
      for (let n = from; n <= to; n++) {
        const t = (base * ((n - b * orig) * target - j * orig)) / denom;
        if (t <= -lw || t >= lw) continue;
        let window: number;
        if (kaiser) {
          const r = t / lw;
          window = besselI0(this.o.beta * Math.sqrt(Math.max(0, 1 - r * r))) / this.i0Beta;
        } else {
          const c = Math.cos((t * Math.PI) / lw / 2);
          window = c * c;
        }
        const tp = t * Math.PI;
        const sinc = tp === 0 ? 1 : Math.sin(tp) / tp;
        s += sinc * window * scale * this.buf[n - this.bufStart];
      }
      out.push(s);
    }
    this.emitted += out.length;
    return Float32Array.from(out);
  }
}
