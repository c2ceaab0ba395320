/**
 * Writers for test audio: WAV in every PCM/float layout (including WAVE_FORMAT_EXTENSIBLE and odd chunk
 * layouts), and FLAC with VERBATIM subframes (no encoder is installed here, and a verbatim stream is a
 * valid FLAC file any decoder must read). Written by hand from the format specifications.
 */

export interface WavSpec {
  sampleRate: number;
  /** Per channel, values in [-1, 1]. */
  channels: Float32Array[];
  format: 'pcm8' | 'pcm16' | 'pcm24' | 'pcm32' | 'float32' | 'float64';
  extensible?: boolean;
  /** Insert a LIST chunk of this many bytes before the data chunk (odd sizes test the pad byte). */
  listChunkBytes?: number;
}

const BITS: Record<WavSpec['format'], number> = { pcm8: 8, pcm16: 16, pcm24: 24, pcm32: 32, float32: 32, float64: 64 };

/** Integer code of a sample as torchaudio reads it back: x * 2^(bits-1), clipped. */
function toInt(v: number, bits: number): number {
  const scale = 2 ** (bits - 1);
  return Math.max(-scale, Math.min(scale - 1, Math.round(v * scale)));
}

export function encodeWav(spec: WavSpec): Uint8Array {
  const { sampleRate, channels, format } = spec;
  const nch = channels.length;
  const n = channels[0].length;
  const bits = BITS[format];
  const bytes = bits / 8;
  const isFloat = format.startsWith('float');
  const dataBytes = n * nch * bytes;
  const fmtBytes = spec.extensible ? 40 : 16;
  const list = spec.listChunkBytes ?? 0;
  const listTotal = list > 0 ? 8 + list + (list & 1) : 0;
  const total = 12 + 8 + fmtBytes + listTotal + 8 + dataBytes;
  const buf = new Uint8Array(total);
  const v = new DataView(buf.buffer);
  let p = 0;
  const str = (s: string) => {
    for (const c of s) buf[p++] = c.charCodeAt(0);
  };
  str('RIFF');
  v.setUint32(p, total - 8, true);
  p += 4;
  str('WAVE');
  str('fmt ');
  v.setUint32(p, fmtBytes, true);
  p += 4;
  v.setUint16(p, spec.extensible ? 0xfffe : isFloat ? 3 : 1, true);
  v.setUint16(p + 2, nch, true);
  v.setUint32(p + 4, sampleRate, true);
  v.setUint32(p + 8, sampleRate * nch * bytes, true);
  v.setUint16(p + 12, nch * bytes, true);
  v.setUint16(p + 14, bits, true);
  p += 16;
  if (spec.extensible) {
    v.setUint16(p, 22, true);
    v.setUint16(p + 2, bits, true);
    v.setUint32(p + 4, nch === 1 ? 4 : 3, true);
    // SubFormat GUID: {0000000X-0000-0010-8000-00aa00389b71}
    const guid = [isFloat ? 3 : 1, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71];
    buf.set(guid, p + 8);
    p += 24;
  }
  if (list > 0) {
    str('LIST');
    v.setUint32(p, list, true);
    p += 4 + list + (list & 1);
  }
  str('data');
  v.setUint32(p, dataBytes, true);
  p += 4;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < nch; c++) {
      const x = channels[c][i];
      switch (format) {
        case 'pcm8':
          buf[p] = toInt(x, 8) + 128;
          break;
        case 'pcm16':
          v.setInt16(p, toInt(x, 16), true);
          break;
        case 'pcm24': {
          const q = toInt(x, 24) & 0xffffff;
          buf[p] = q & 0xff;
          buf[p + 1] = (q >> 8) & 0xff;
          buf[p + 2] = (q >> 16) & 0xff;
          break;
        }
        case 'pcm32':
          v.setInt32(p, toInt(x, 32), true);
          break;
        case 'float32':
          v.setFloat32(p, x, true);
          break;
        case 'float64':
          v.setFloat64(p, x, true);
          break;
      }
      p += bytes;
    }
  }
  return buf;
}

class BitWriter {
  bytes: number[] = [];
  private acc = 0;
  private nbits = 0;
  write(value: number, bits: number): void {
    for (let i = bits - 1; i >= 0; i--) {
      const bit = Math.floor(value / 2 ** i) % 2;
      this.acc = (this.acc << 1) | bit;
      this.nbits++;
      if (this.nbits === 8) {
        this.bytes.push(this.acc);
        this.acc = 0;
        this.nbits = 0;
      }
    }
  }
  signed(value: number, bits: number): void {
    this.write(value < 0 ? value + 2 ** bits : value, bits);
  }
  align(): void {
    while (this.nbits !== 0) this.write(0, 1);
  }
}

function crc8(bytes: number[]): number {
  let crc = 0;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

function crc16(bytes: number[]): number {
  let crc = 0;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

function utf8Number(n: number): number[] {
  if (n < 0x80) return [n];
  if (n < 0x800) return [0xc0 | (n >> 6), 0x80 | (n & 0x3f)];
  if (n < 0x10000) return [0xe0 | (n >> 12), 0x80 | ((n >> 6) & 0x3f), 0x80 | (n & 0x3f)];
  return [0xf0 | (n >> 18), 0x80 | ((n >> 12) & 0x3f), 0x80 | ((n >> 6) & 0x3f), 0x80 | (n & 0x3f)];
}

/** A FLAC stream of 16- or 24-bit samples with VERBATIM subframes, `blockSize` samples per frame. */
export function encodeFlac(sampleRate: number, channels: Float32Array[], bitsPerSample: 16 | 24 = 16, blockSize = 4096): Uint8Array {
  const nch = channels.length;
  const n = channels[0].length;
  const out: number[] = [0x66, 0x4c, 0x61, 0x43]; // fLaC
  const si = new BitWriter();
  si.write(1, 1); // last metadata block
  si.write(0, 7); // STREAMINFO
  si.write(34, 24);
  si.write(blockSize, 16);
  si.write(blockSize, 16);
  si.write(0, 24);
  si.write(0, 24);
  si.write(sampleRate, 20);
  si.write(nch - 1, 3);
  si.write(bitsPerSample - 1, 5);
  si.write(n, 36);
  for (let i = 0; i < 16; i++) si.write(0, 8);
  out.push(...si.bytes);
  const sizeCode = bitsPerSample === 16 ? 0b100 : 0b110;
  // Explicit rate codes, as libFLAC writes them (this decoder never sees STREAMINFO when framing).
  const rateCodes: Record<number, number> = { 8000: 0b0100, 16000: 0b0101, 22050: 0b0110, 24000: 0b0111, 32000: 0b1000, 44100: 0b1001, 48000: 0b1010 };
  const rateCode = rateCodes[sampleRate] ?? 0b1101;
  for (let start = 0, frame = 0; start < n; start += blockSize, frame++) {
    const len = Math.min(blockSize, n - start);
    const h = new BitWriter();
    h.write(0b11111111111110, 14);
    h.write(0, 1);
    h.write(0, 1); // fixed block size
    h.write(0b0111, 4); // 16-bit (blocksize - 1) follows
    h.write(rateCode, 4);
    h.write(nch - 1, 4); // independent channels
    h.write(sizeCode, 3);
    h.write(0, 1);
    const header = [...h.bytes, ...utf8Number(frame)];
    header.push((len - 1) >> 8, (len - 1) & 0xff);
    if (rateCode === 0b1101) header.push(sampleRate >> 8, sampleRate & 0xff);
    header.push(crc8(header));
    const body = new BitWriter();
    for (let c = 0; c < nch; c++) {
      body.write(0, 1);
      body.write(0b000001, 6); // VERBATIM
      body.write(0, 1);
      for (let i = 0; i < len; i++) body.signed(toInt(channels[c][start + i], bitsPerSample), bitsPerSample);
    }
    body.align();
    const frameBytes = [...header, ...body.bytes];
    const crc = crc16(frameBytes);
    frameBytes.push(crc >> 8, crc & 0xff);
    for (const b of frameBytes) out.push(b);
  }
  return Uint8Array.from(out);
}

/** A deterministic test tone: sum of two sines plus a little seeded noise, in [-0.9, 0.9]. */
export function testSignal(n: number, sampleRate: number, seed = 1): Float32Array {
  const x = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    const noise = (s / 4294967296 - 0.5) * 0.1;
    x[i] = 0.5 * Math.sin((2 * Math.PI * 440 * i) / sampleRate) + 0.3 * Math.sin((2 * Math.PI * 1234.5 * i) / sampleRate) + noise;
  }
  return x;
}
